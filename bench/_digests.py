"""The digest benchmarks' world: a database with the bundled news (ingested offline, lexicon
scores), subscriptions all due at 08:00 Amsterdam, and a delivery engine ready to send them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from datetime import time as clock_time
from functools import partial
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.compose.digest import DigestComposer
from bot.config import Settings
from bot.delivery.engine import DeliveryEngine, DeliveryPolicy
from bot.delivery.sender import Sender
from bot.digest.schedule import next_run
from bot.digest.tables import digest_subscriptions
from bot.guilds.feeds import feed_sets
from bot.i18n import Language
from bot.news.pipeline import ingest
from bot.news.query import latest_article_time
from bot.news.samples import sample_feeds
from bot.runtime.services import Services
from bot.sentiment.lexicon import LexiconBackend
from bot.sentiment.store import score_pending
from bot.shards import Scope
from bot.storage import Database

ZONE = "Europe/Amsterdam"


async def seed_news(services: Services) -> tuple[datetime, datetime]:
    """The bundled sample feeds, ingested and scored; returns the newest article's time and
    the digest time all subscriptions share: 08:00 Amsterdam the day after it."""
    specs, fetcher = sample_feeds()
    await ingest(services, feeds=specs, fetcher=fetcher)
    await score_pending(services.db, LexiconBackend())
    newest = await latest_article_time(services.db)
    assert newest is not None
    return newest, next_run(clock_time(8, 0), ZoneInfo(ZONE), newest)


async def subscribe_all(
    db: Database, targets: list[tuple[int, int]], created: datetime, due: datetime
) -> None:
    """A daily 08:00 subscription for each (guild, channel), next due at `due`."""
    rows = [
        {
            "guild_id": guild_id,
            "channel_id": channel_id,
            "local_time": "08:00",
            "timezone": ZONE,
            "created_by": None,
            "created_at": created,
            "enabled": True,
            "next_run_at": due,
        }
        for guild_id, channel_id in targets
    ]
    async with db.begin() as conn:
        for start in range(0, len(rows), 2_000):
            await conn.execute(sa.insert(digest_subscriptions), rows[start : start + 2_000])


async def warm_engine(
    db: Database,
    settings: Settings,
    sender: Sender,
    language_of: Callable[[int], Awaitable[Language]],
    due: datetime,
    concurrency: int,
    scope: Scope | None = None,
) -> DeliveryEngine:
    """The delivery engine (`concurrency` sends in flight, 6 h grace), its composer warmed."""
    composer = DigestComposer(db, settings)
    await composer.signal_report(due)  # the market history load is a one-off; warm it
    return DeliveryEngine(
        db,
        sender,
        composer,
        language_of=language_of,
        feeds_of=partial(feed_sets, db),  # each server's feed set, looked up as the bot does
        policy=DeliveryPolicy(concurrency=concurrency, grace=timedelta(hours=6)),
        scope=scope,
    )
