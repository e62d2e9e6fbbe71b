from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.digest.store import (
    CHANNEL_GONE,
    GUILD_REMOVED,
    disable,
    list_alerts,
    list_subscriptions,
    subscribe,
    subscribe_alerts,
)
from bot.guilds.feeds import add_guild_feed, list_guild_feeds
from bot.guilds.membership import (
    STARTUP,
    known_guilds,
    mark_present,
    mark_removed,
    purge_removed_guilds,
    reconcile,
    removed_guilds,
)
from bot.guilds.settings import GuildLanguages
from bot.news.feeds import FeedSpec, enabled_feeds, sync_feeds
from bot.news.tables import feeds
from bot.storage import Database

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
GONE, STAYS = 11, 22
RETENTION = timedelta(days=30)
DEFAULTS = [FeedSpec("CoinDesk", "https://www.coindesk.com/arc/outboundfeeds/rss/", "en")]


async def add(db: Database, guild: int, url: str) -> int:
    feed = await add_guild_feed(
        db, guild, url=url, name=url, language="en", added_by=1, limit=10, now=NOW
    )
    return feed.id


async def fetched(db: Database) -> set[str]:
    return {f.url for f in await enabled_feeds(db)}


async def set_up(db: Database) -> None:
    """Two servers: each with a feed of its own, one feed both added, digests and alerts."""
    await sync_feeds(db, DEFAULTS, now=NOW)
    await add(db, GONE, "https://gone.example/feed")
    await add(db, GONE, "https://shared.example/feed")
    await add(db, STAYS, "https://shared.example/feed")
    await add(db, STAYS, "https://stays.example/feed")
    for guild in (GONE, STAYS):
        for channel in (1, 2):
            await subscribe(
                db,
                guild_id=guild,
                channel_id=guild * 100 + channel,
                local_time="08:00",
                timezone="Europe/Amsterdam",
                created_by=1,
                now=NOW,
            )
        await subscribe_alerts(
            db, guild_id=guild, channel_id=guild * 100 + 9, created_by=1, now=NOW
        )
        await GuildLanguages(db, "en").set(guild, "nl")
    # One of GONE's digests was already off for another reason.
    [first, _] = await list_subscriptions(db, GONE, NOW)
    await disable(db, first.subscription.id, CHANNEL_GONE, NOW)


async def states(db: Database, guild: int) -> list[tuple[bool, str | None]]:
    digests = [(d.subscription.enabled, d.subscription.disabled_reason) for d in
               await list_subscriptions(db, guild, NOW)]  # fmt: skip
    alerts = [(a.enabled, a.disabled_reason) for a in await list_alerts(db, guild)]
    return digests + alerts


async def test_removal_stops_its_feeds_and_pauses_its_subscriptions(db: Database) -> None:
    await set_up(db)
    everything = {DEFAULTS[0].url, "https://gone.example/feed", "https://shared.example/feed",
                  "https://stays.example/feed"}  # fmt: skip
    assert await fetched(db) == everything

    assert await mark_removed(db, GONE, now=NOW)
    assert not await mark_removed(db, GONE, now=NOW + timedelta(hours=1))  # already marked
    assert await fetched(db) == everything - {"https://gone.example/feed"}  # shared one stays
    assert await states(db, GONE) == [
        (False, CHANNEL_GONE),  # its own reason is kept
        (False, GUILD_REMOVED),
        (False, GUILD_REMOVED),
    ]
    assert await states(db, STAYS) == [(True, None)] * 3
    assert await removed_guilds(db) == {GONE: NOW}

    later = NOW + timedelta(days=3, hours=5)
    assert await mark_present(db, GONE, now=later)
    assert not await mark_present(db, GONE, now=later)
    assert await fetched(db) == everything
    assert await states(db, GONE) == [(False, CHANNEL_GONE), (True, None), (True, None)]
    [_, back] = await list_subscriptions(db, GONE, later)
    # The next digest is the next 08:00 from now, not one missed while away.
    assert later < back.subscription.next_run_at < later + timedelta(days=1)
    assert await removed_guilds(db) == {}


async def test_a_feed_of_two_removed_servers_is_not_fetched(db: Database) -> None:
    await set_up(db)
    await mark_removed(db, GONE, now=NOW)
    await mark_removed(db, STAYS, now=NOW)
    assert await fetched(db) == {DEFAULTS[0].url}


async def test_purge_after_the_retention_period(db: Database) -> None:
    await set_up(db)
    await mark_removed(db, GONE, now=NOW)
    assert await purge_removed_guilds(db, retention=RETENTION, now=NOW + timedelta(days=29)) == []
    assert len(await states(db, GONE)) == 3

    assert await purge_removed_guilds(db, retention=RETENTION, now=NOW + RETENTION) == [GONE]
    assert await states(db, GONE) == []
    assert [f.url for f in await list_guild_feeds(db, GONE)] == [DEFAULTS[0].url]
    assert await GuildLanguages(db, "en").stored(GONE) is None
    assert GONE not in await known_guilds(db)
    assert await removed_guilds(db) == {}
    async with db.connection() as conn:
        enabled = dict((await conn.execute(sa.select(feeds.c.url, feeds.c.enabled))).all())
    assert not enabled["https://gone.example/feed"]  # nobody reads it any more
    assert enabled["https://shared.example/feed"]
    # The other server keeps everything.
    assert await states(db, STAYS) == [(True, None)] * 3
    assert len(await list_guild_feeds(db, STAYS)) == 3
    assert await GuildLanguages(db, "en").stored(STAYS) == "nl"
    # Coming back after the purge: nothing to restore, the server starts afresh.
    assert not await mark_present(db, GONE, now=NOW + timedelta(days=31))


async def test_purge_and_return_at_once_never_half_purge(db: Database) -> None:
    await set_up(db)
    await mark_removed(db, GONE, now=NOW)
    later = NOW + timedelta(days=40)
    purged, restored = await asyncio.gather(
        purge_removed_guilds(db, retention=RETENTION, now=later),
        mark_present(db, GONE, now=later),
    )
    if restored:  # the return went first: nothing purged, everything back
        assert purged == [] and len(await states(db, GONE)) == 3
    else:
        assert purged == [GONE] and await states(db, GONE) == []
    assert await removed_guilds(db) == {}


async def test_reconcile_judges_only_its_own_shards(db: Database) -> None:
    await set_up(db)
    other_shard = 33
    await GuildLanguages(db, "en").set(other_shard, "en")
    back = 44
    await GuildLanguages(db, "en").set(back, "en")
    await mark_removed(db, back, now=NOW)

    def owns(guild_id: int) -> bool:
        return guild_id != other_shard

    # STAYS and `back` are in the list; GONE is missing; `other_shard` is another process's.
    done = await reconcile(db, [STAYS, back], owns, now=NOW)
    assert (done.removed, done.restored) == ([GONE], [back])
    assert set(await removed_guilds(db)) == {GONE}
    async with db.connection() as conn:
        source = await conn.scalar(sa.text("SELECT source FROM guild_removals"))
    assert source == STARTUP
    again = await reconcile(db, [STAYS, back], owns, now=NOW)
    assert (again.removed, again.restored) == ([], [])
