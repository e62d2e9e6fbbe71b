"""The composition root for core services: settings, database, HTTP clients.

The CLI and the Discord client both build their services here, once per process, and close
them in reverse order. Nothing else creates an engine or a long-lived `httpx.AsyncClient`.

Two clients: `http` for the fixed, configured market APIs, and `feeds_http`, the guarded
feed client (bot/utils/http) for every feed URL, configured or added by a server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from bot.compose.reads import Reads
from bot.config import Settings
from bot.runtime.dataversion import DataVersionWatcher
from bot.sentiment.types import SentimentBackend
from bot.storage import Database
from bot.translate.service import Translators
from bot.utils.cache import ReadCache
from bot.utils.http.addresses import AddressPolicy
from bot.utils.http.client import make_http_client
from bot.utils.http.feed_client import FeedClient, make_feed_client
from bot.utils.http.guard import Resolver

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    http: httpx.AsyncClient
    # Every feed fetch (periodic pass, /feeds add): SSRF-guarded, FEEDS_ALLOW_PRIVATE applies.
    feeds_http: FeedClient
    # Reads that slash commands share (see bot/utils/cache.py); the pipeline clears it after a pass.
    cache: ReadCache = field(default_factory=ReadCache)
    reads: Reads = field(init=False)
    # New data from a pipeline in any process: polled by a job of the bot (create_bot);
    # refreshes `reads` on every change. Rounds that post new data subscribe here too.
    data_watch: DataVersionWatcher = field(init=False)
    _sentiment: SentimentBackend | None = None
    _sentiment_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # EN<->NL translators (bot/translate/service.py); models load on first need, in the pipeline.
    translators: Translators = field(init=False)

    def __post_init__(self) -> None:
        self.reads = Reads(self.db, self.cache)
        self.data_watch = DataVersionWatcher(self.db)
        self.data_watch.subscribe(lambda _version: self.reads.refresh())
        self.translators = Translators(self.settings)

    async def sentiment(self) -> SentimentBackend:
        """The sentiment backend, loaded once on first use, in a thread (a model load is slow)."""
        async with self._sentiment_lock:
            if self._sentiment is None:
                from bot.sentiment.factory import load_backend

                self._sentiment = await asyncio.to_thread(load_backend, self.settings)
        return self._sentiment

    async def sentiment_name(self) -> str:
        """The backend as users see it, translated (about command, footers).

        The one that scored the last pipeline pass, read from the database: the pipeline runs
        in another process and this one never loads the model (nor imports torch)."""
        from bot.sentiment.factory import describe_backend

        name, model = await self.cache.get(("scoring-backend",), self._scoring_backend)
        return describe_backend(name, model)

    async def _scoring_backend(self) -> tuple[str, str]:
        from bot.runtime.health import last_pipeline_run

        run = await last_pipeline_run(self.db)
        if run is not None and run.backend is not None and run.model is not None:
            return run.backend, run.model
        if self._sentiment is not None:  # a process that scores (demo, tests): its own backend
            return self._sentiment.name, self._sentiment.model
        if self.settings.sentiment_backend == "lexicon":
            from bot.sentiment.lexicon import LexiconBackend

            lexicon = LexiconBackend()
            return lexicon.name, lexicon.model
        return "transformers", self.settings.sentiment_model  # nothing scored yet


@asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    feed_policy: AddressPolicy | None = None,
    feed_resolver: Resolver | None = None,
) -> AsyncIterator[Services]:
    """`feed_policy` / `feed_resolver` replace the feed client's address policy (default:
    FEEDS_ALLOW_PRIVATE) and resolver (default: the system's); tests use them."""
    db = Database.connect(settings.resolved_database_url)
    http = make_http_client(settings)
    feeds_http = make_feed_client(settings, policy=feed_policy, resolver=feed_resolver)
    try:
        await db.migrate()
        yield Services(settings=settings, db=db, http=http, feeds_http=feeds_http)
    finally:
        await feeds_http.aclose()
        await http.aclose()
        await db.close()
