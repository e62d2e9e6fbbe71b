from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bot.errors import BadInput
from bot.guilds.feeds import (
    active_feed_ids,
    add_guild_feed,
    check_room_for_feed,
    list_guild_feeds,
    remove_guild_feed,
)
from bot.news.feeds import FeedSpec, sync_feeds
from bot.news.tables import feeds
from bot.storage import Database

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
DEFAULTS = [
    FeedSpec("CoinDesk", "https://www.coindesk.com/arc/outboundfeeds/rss/", "en"),
    FeedSpec("Newsbit", "https://newsbit.nl/feed/", "nl"),
]


async def add(db: Database, guild: int, url: str, limit: int = 3) -> int:
    feed = await add_guild_feed(
        db, guild, url=url, name=url, language="en", added_by=1, limit=limit, now=NOW
    )
    return feed.id


async def test_defaults_plus_own_feeds_per_server(db: Database) -> None:
    await sync_feeds(db, DEFAULTS, now=NOW)
    own = await add(db, 1, "https://example.org/feed")
    assert len(await list_guild_feeds(db, 1)) == 3
    assert len(await list_guild_feeds(db, 2)) == 2  # another server does not see it
    assert own in await active_feed_ids(db, 1)


async def test_switching_a_default_off_and_on_again(db: Database) -> None:
    [coindesk, _] = await sync_feeds(db, DEFAULTS, now=NOW)
    await remove_guild_feed(db, 1, coindesk.id)
    assert coindesk.id not in await active_feed_ids(db, 1)
    assert coindesk.id in await active_feed_ids(db, 2)
    with pytest.raises(BadInput):
        await remove_guild_feed(db, 1, coindesk.id)
    await add(db, 1, coindesk.url)
    assert coindesk.id in await active_feed_ids(db, 1)


async def test_duplicates_and_the_limit_are_refused(db: Database) -> None:
    await add(db, 1, "https://a.example/feed", limit=2)
    with pytest.raises(BadInput, match="already"):
        await add(db, 1, "https://a.example/feed", limit=2)
    await add(db, 1, "https://b.example/feed", limit=2)
    with pytest.raises(BadInput, match="2 feeds"):
        await add(db, 1, "https://c.example/feed", limit=2)


async def test_a_feed_nobody_reads_stops_being_fetched(db: Database) -> None:
    shared = await add(db, 1, "https://shared.example/feed")
    await add(db, 2, "https://shared.example/feed")
    await remove_guild_feed(db, 1, shared)

    async def enabled() -> bool:
        async with db.connection() as conn:
            return bool(await conn.scalar(sa.select(feeds.c.enabled).where(feeds.c.id == shared)))

    assert await enabled()
    await remove_guild_feed(db, 2, shared)
    assert not await enabled()


async def test_parallel_adds_cannot_pass_the_limit(db: Database) -> None:
    """Twelve /feeds add at once with a limit of 3: exactly three are stored (issue #11)."""
    urls = [f"https://race{n}.example/feed" for n in range(12)]
    adds = (add(db, 1, url, limit=3) for url in urls)
    results = await asyncio.gather(*adds, return_exceptions=True)
    stored = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, BadInput)]
    assert len(stored) == 3 and len(refused) == 9, results
    assert len([f for f in await list_guild_feeds(db, 1) if not f.is_default]) == 3
    assert await list_guild_feeds(db, 2) == []  # another server's limit is its own


async def test_the_early_room_check_lets_a_default_back_in(db: Database) -> None:
    [coindesk, _] = await sync_feeds(db, DEFAULTS, now=NOW)
    await remove_guild_feed(db, 1, coindesk.id)
    await add(db, 1, "https://a.example/feed", limit=1)
    with pytest.raises(BadInput, match="1 feeds"):
        await check_room_for_feed(db, 1, "https://b.example/feed", limit=1)
    await check_room_for_feed(db, 1, coindesk.url, limit=1)  # switching it back on is free
    await add(db, 1, coindesk.url, limit=1)
    assert coindesk.id in await active_feed_ids(db, 1)
