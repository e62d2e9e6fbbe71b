"""feed_sets (the feeds each server reads) agrees with what /feeds list shows as active."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bot.guilds.feeds import (
    active_feed_ids,
    add_guild_feed,
    default_feed_ids,
    feed_sets,
    list_guild_feeds,
    remove_guild_feed,
)
from bot.news.feeds import FeedSpec, sync_feeds
from bot.news.tables import feeds
from bot.storage import Database

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
DEFAULTS = [
    FeedSpec("A", "https://a.example/rss", "en"),
    FeedSpec("B", "https://b.example/rss", "nl"),
    FeedSpec("C", "https://c.example/rss", "en"),
]


async def own(db: Database, guild: int, url: str) -> int:
    feed = await add_guild_feed(
        db, guild, url=url, name=url, language="en", added_by=1, limit=5, now=NOW
    )
    return feed.id


async def test_feed_sets_match_the_active_rows_of_feeds_list(db: Database) -> None:
    a, b, c = (f.id for f in await sync_feeds(db, DEFAULTS, now=NOW))
    x = await own(db, 1, "https://x.example/rss")  # server 1: the defaults plus its own
    await own(db, 2, "https://x.example/rss")  # server 2 adds the same feed ...
    await remove_guild_feed(db, 2, a)  # ... and switches a default off
    for feed_id in (a, b, c):  # server 3 reads nothing
        await remove_guild_feed(db, 3, feed_id)
    y = await own(db, 4, "https://y.example/rss")
    await remove_guild_feed(db, 4, y)  # server 4 removed its own feed again
    async with db.begin() as conn:  # the configuration dropped C: no server reads it any more
        await conn.execute(feeds.update().where(feeds.c.id == c).values(enabled=False))

    guilds = [1, 2, 3, 4, 5]  # 5: never touched its list
    sets = await feed_sets(db, guilds)
    listed = {g: [f.id for f in await list_guild_feeds(db, g) if f.active] for g in guilds}
    assert sets == {g: tuple(sorted(ids)) for g, ids in listed.items()}
    for g in guilds:
        assert list(sets[g]) == await active_feed_ids(db, g)
    assert sets[1] == tuple(sorted((a, b, x))) and sets[2] == tuple(sorted((b, x)))
    assert sets[3] == () and sets[4] == sets[5] == tuple(await default_feed_ids(db)) == (a, b)
    assert await feed_sets(db, []) == {}


async def test_feed_sets_for_many_servers(db: Database) -> None:
    await sync_feeds(db, DEFAULTS, now=NOW)
    x = await own(db, 7, "https://x.example/rss")
    sets = await feed_sets(db, range(1, 1201))  # more than one chunk of servers
    async with db.connection() as conn:
        defaults = tuple(sorted((await conn.execute(sa.select(feeds.c.id))).scalars()))
    defaults = tuple(i for i in defaults if i != x)
    assert len(sets) == 1200 and sets[7] == tuple(sorted((*defaults, x)))
    assert all(ids == defaults for g, ids in sets.items() if g != 7)
