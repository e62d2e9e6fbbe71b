"""One ingest pass: fetch every due feed concurrently, parse and normalise in threads, then
store and cluster feed by feed. A failing feed is recorded and never stops the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.config import Settings
from bot.news.cluster import cluster_pending
from bot.news.feeds import Feed, FeedSpec, enabled_feeds, load_feeds, sync_feeds
from bot.news.fetch import Fetcher, FetchResult, FetchStatus, HttpFetcher
from bot.news.normalize import Article, normalize_entries
from bot.news.parse import FeedUnreadable, parse_bytes
from bot.news.relevance import keep_crypto
from bot.news.state import advance, load_states, save_state
from bot.news.store import store_articles
from bot.storage import Database
from bot.utils.http.feed_client import FeedClient
from bot.utils.workers import run_pipeline_work

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedReport:
    feed: Feed
    status: str  # a FetchStatus value, or "skipped" while backing off
    entries: int = 0  # entries in the document
    new: int = 0  # articles stored for the first time
    filtered: int = 0  # entries a crypto_only feed dropped as not about crypto
    backlog: bool = False  # first fetch of the feed: stored as old news
    warning: str | None = None  # the document was malformed but readable
    error: str | None = None
    next_fetch_at: datetime | None = None


@dataclass(frozen=True)
class IngestReport:
    started_at: datetime
    finished_at: datetime
    feeds: list[FeedReport] = field(default_factory=list)

    @property
    def new_articles(self) -> int:
        return sum(r.new for r in self.feeds)

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


Progress = Callable[[FeedReport, int, int], None]  # (report, done, total)
Publish = Callable[[], Awaitable[None]]


class IngestResources(Protocol):
    """What a pass needs from the process (bot.runtime.services.Services provides it)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def feeds_http(self) -> FeedClient: ...


@dataclass(frozen=True)
class _Digest:
    entries: int
    articles: list[Article]
    warning: str | None
    filtered: int = 0


def _digest(
    result: FetchResult, feed: Feed, now: datetime, max_entries: int, crypto_only: bool = False
) -> _Digest:
    """Parse, normalise and (for a crypto_only feed) filter in one worker-thread call: all
    CPU work, and what the filter drops is never stored."""
    assert result.body is not None
    parsed = parse_bytes(result.body, result.headers, max_entries=max_entries)
    articles = normalize_entries(
        parsed.entries, source=feed.name, declared_language=feed.language, now=now
    )
    filtered = 0
    if crypto_only:
        articles, filtered = keep_crypto(articles)
    return _Digest(len(parsed.entries), articles, parsed.warning, filtered)


async def ingest(
    services: IngestResources,
    *,
    feeds: Sequence[FeedSpec] | None = None,
    fetcher: Fetcher | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    publish: Publish | None = None,
    publish_every: float = 2.0,
) -> IngestReport:
    """Fetch, parse and store every due feed concurrently, then cluster what is new.

    With `publish`, articles do not wait for the slowest feed: while feeds are still pending,
    what is stored is clustered and handed to `publish` (the pass scores it and lets commands
    see it) at most every `publish_every` seconds.
    """
    settings = services.settings
    db = services.db
    started = datetime.now(UTC)
    now = now or started
    if feeds is not None:  # an explicit list (demo, tests): exactly these
        specs = list(feeds)
        rows = await sync_feeds(db, specs, now=now)
    else:  # the configured list, plus the feeds servers added themselves
        specs = load_feeds(settings)
        await sync_feeds(db, specs, now=now)
        rows = await enabled_feeds(db)
    # A configured feed's options (FEEDS_FILE / defaults), by URL; servers' feeds have none.
    crypto_only = {s.url for s in specs if s.crypto_only}
    states = await load_states(db, [f.id for f in rows])
    fetch = fetcher or HttpFetcher(
        services.feeds_http,
        max_bytes=settings.http_max_bytes,
        per_host=settings.http_per_host,
        timeout=settings.http_timeout,
        user_agents={s.url: s.user_agent for s in specs if s.user_agent},
    )
    interval = timedelta(seconds=settings.fetch_interval)
    store_lock = asyncio.Lock()  # one writer at a time: SQLite has only one anyway
    stored = asyncio.Event()  # set when a feed stored new articles not yet published
    rounds: list[asyncio.Task[None]] = []

    async def publish_round() -> None:
        assert publish is not None
        async with store_lock:
            await cluster_pending(db)
        await publish()

    async def publish_early() -> None:
        while True:
            await stored.wait()
            await asyncio.sleep(publish_every)  # gather what else arrives meanwhile
            stored.clear()
            rounds.append(asyncio.create_task(publish_round()))
            await asyncio.shield(rounds[-1])  # ending the pass never cuts a round short

    reports: list[FeedReport] = []

    async def one(feed: Feed) -> FeedReport:
        state = states[feed.id]
        if not state.is_due(now):
            return FeedReport(
                feed, "skipped", error=state.last_error, next_fetch_at=state.next_fetch_at
            )
        result = await fetch(feed.url, state.conditional)
        digest = _Digest(0, [], None)
        if result.status is FetchStatus.OK:
            try:
                digest = await run_pipeline_work(
                    _digest,
                    result,
                    feed,
                    now,
                    settings.feed_max_entries,
                    feed.url in crypto_only,
                )
            except FeedUnreadable as exc:
                result = FetchResult(FetchStatus.FAILING, url=result.url, error=exc.reason)
        backlog = not state.initialized
        async with store_lock:
            new = 0
            if result.status is FetchStatus.OK:
                new = await store_articles(db, feed.id, digest.articles, now=now, backlog=backlog)
                if new:
                    stored.set()
            after = advance(
                state, result, now=now, interval=interval, slow_after=settings.feed_slow_seconds
            )
            if result.status is FetchStatus.OK:
                after = replace(after, initialized=True)
            await save_state(db, after)
        return FeedReport(
            feed,
            result.status.value,
            entries=digest.entries,
            new=new,
            filtered=digest.filtered,
            backlog=backlog and result.status is FetchStatus.OK,
            warning=digest.warning,
            error=result.error,
            next_fetch_at=after.next_fetch_at,
        )

    async def guarded(feed: Feed) -> FeedReport:
        try:
            report = await one(feed)
        except Exception as exc:  # a bug or a database hiccup for one feed: record, go on
            log.exception("ingest of %s failed", feed.url)
            report = FeedReport(feed, FetchStatus.FAILING.value, error=f"error: {exc}")
        reports.append(report)
        if progress is not None:
            progress(report, len(reports), len(rows))
        if report.error:
            log.info("feed %s: %s (%s)", feed.name, report.status, report.error)
        return report

    early = asyncio.create_task(publish_early()) if publish is not None else None
    try:
        done = await asyncio.gather(*(guarded(f) for f in rows))
    finally:
        if early is not None:
            early.cancel()
            await asyncio.gather(early, return_exceptions=True)
            for failed in await asyncio.gather(*rounds, return_exceptions=True):
                if isinstance(failed, Exception):
                    log.warning(
                        "publishing early failed: %r (the pass publishes at its end)", failed
                    )
    clustered = await cluster_pending(db)
    log.info("ingest: %d new articles, %d clustered", sum(r.new for r in done), clustered)
    return IngestReport(started, datetime.now(UTC), list(done))
