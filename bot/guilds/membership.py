"""Servers the bot was removed from: paused at once, restored on return, purged after a while.

When the bot leaves a server (kicked, banned, or the server deleted) nothing it stored for
that server should keep costing anything, yet an accidental kick should not lose a server's
set-up. So `mark_removed` records the removal: from then on the server's own feeds are not
fetched (bot/news/feeds.py `enabled_feeds` skips feeds only removed servers added) and its
digest and alert subscriptions are paused with the reason GUILD_REMOVED. `mark_present` undoes
exactly that when the bot comes back. `purge_removed_guilds` deletes the server's own feeds,
subscriptions and settings once the retention period (GUILD_RETENTION_DAYS) has passed.

`reconcile` catches what happened while no process was connected: given the guilds a
process's shards see (unavailable ones included) it marks the servers with data but missing
from that list, and restores the ones present again. The Discord layer
(bot/discord/membership.py) decides when the list is complete enough to trust.

Every change for one server runs under `Database.lock`, so a purge and a return cannot
interleave, in one process or several.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.digest.schedule import next_run, parse_time, parse_zone
from bot.digest.store import GUILD_REMOVED
from bot.digest.tables import alert_subscriptions, digest_subscriptions
from bot.guilds.tables import (
    command_attempts,
    guild_disabled_feeds,
    guild_feeds,
    guild_removals,
    guild_settings,
)
from bot.live.tables import live_subscriptions
from bot.news.tables import articles, feeds
from bot.storage import Database
from bot.storage.db import AsyncConnection

log = logging.getLogger(__name__)

# Where a removal was seen (guild_removals.source).
EVENT = "event"  # GUILD_DELETE without `unavailable`: discord.py's on_guild_remove
STARTUP = "startup"  # missing from the guild list at start-up

# Every table holding a server's data, by guild_id (purged after the retention period).
_GUILD_DATA = (
    guild_feeds,
    guild_disabled_feeds,
    guild_settings,
    digest_subscriptions,  # its deliveries go with it (ON DELETE CASCADE)
    alert_subscriptions,
    live_subscriptions,
    command_attempts,
)


def _lock(guild_id: int) -> str:
    return f"guild_membership:{guild_id}"


async def mark_removed(db: Database, guild_id: int, *, now: datetime, source: str = EVENT) -> bool:
    """The bot is no longer in the server: stop fetching its own feeds, pause its
    subscriptions. False when it was already marked."""
    async with db.begin() as conn:
        await db.lock(conn, _lock(guild_id))
        if await _removed_at(conn, guild_id) is not None:
            return False
        await conn.execute(
            sa.insert(guild_removals).values(guild_id=guild_id, removed_at=now, source=source)
        )
        for subs in (digest_subscriptions, alert_subscriptions, live_subscriptions):
            await conn.execute(
                sa.update(subs)
                .where(subs.c.guild_id == guild_id, subs.c.enabled.is_(True))
                .values(enabled=False, disabled_reason=GUILD_REMOVED, disabled_at=now)
            )
    log.info("guild %s: the bot was removed (%s); feeds and subscriptions pause", guild_id, source)
    return True


async def mark_present(db: Database, guild_id: int, *, now: datetime) -> bool:
    """The bot is (back) in the server: undo `mark_removed`. False when it was not marked
    (or its data was purged already: the server starts afresh)."""
    async with db.begin() as conn:
        await db.lock(conn, _lock(guild_id))
        if await _removed_at(conn, guild_id) is None:
            return False
        await conn.execute(sa.delete(guild_removals).where(guild_removals.c.guild_id == guild_id))
        d = digest_subscriptions
        paused = (
            await conn.execute(
                sa.select(d.c.id, d.c.local_time, d.c.timezone).where(
                    d.c.guild_id == guild_id, d.c.disabled_reason == GUILD_REMOVED
                )
            )
        ).all()
        for sub in paused:
            # From now on: the digests missed while away are not sent late.
            upcoming = next_run(parse_time(sub.local_time), parse_zone(sub.timezone), now)
            await conn.execute(
                sa.update(d)
                .where(d.c.id == sub.id)
                .values(enabled=True, disabled_reason=None, disabled_at=None, next_run_at=upcoming)
            )
        a = alert_subscriptions
        await conn.execute(
            sa.update(a)
            .where(a.c.guild_id == guild_id, a.c.disabled_reason == GUILD_REMOVED)
            .values(enabled=True, disabled_reason=None, disabled_at=None)
        )
        # Live news resumes with what is stored from now on, not what came in meanwhile.
        newest = sa.select(sa.func.coalesce(sa.func.max(articles.c.id), 0)).scalar_subquery()
        live = live_subscriptions
        await conn.execute(
            sa.update(live)
            .where(live.c.guild_id == guild_id, live.c.disabled_reason == GUILD_REMOVED)
            .values(enabled=True, disabled_reason=None, disabled_at=None, since_article_id=newest)
        )
    log.info("guild %s: the bot is back; its feeds and subscriptions resume", guild_id)
    return True


async def _removed_at(conn: AsyncConnection, guild_id: int) -> datetime | None:
    return await conn.scalar(
        sa.select(guild_removals.c.removed_at).where(guild_removals.c.guild_id == guild_id)
    )


async def removed_guilds(db: Database) -> dict[int, datetime]:
    """Servers marked removed, with when."""
    async with db.connection() as conn:
        rows = (await conn.execute(sa.select(guild_removals))).all()
    return {r.guild_id: r.removed_at for r in rows}


async def known_guilds(db: Database) -> set[int]:
    """Every server the database holds data for."""
    union = sa.union(*(sa.select(t.c.guild_id) for t in _GUILD_DATA if t is not command_attempts))
    async with db.connection() as conn:
        return set((await conn.execute(union)).scalars().all())


@dataclass
class Reconciled:
    removed: list[int] = field(default_factory=list)
    restored: list[int] = field(default_factory=list)


async def reconcile(
    db: Database, present: Iterable[int], owns: Callable[[int], bool], *, now: datetime
) -> Reconciled:
    """Bring the stored membership in line with a COMPLETE guild list of some shards.

    `present`: every guild those shards see, unavailable ones included (an outage is not a
    removal); `owns`: whether a guild id is on those shards (others are not judged here)."""
    seen = set(present)
    marked = await removed_guilds(db)
    done = Reconciled()
    for guild_id in sorted(await known_guilds(db)):
        missing = owns(guild_id) and guild_id not in seen and guild_id not in marked
        if missing and await mark_removed(db, guild_id, now=now, source=STARTUP):
            done.removed.append(guild_id)
    for guild_id in sorted(marked):
        if owns(guild_id) and guild_id in seen and await mark_present(db, guild_id, now=now):
            done.restored.append(guild_id)
    return done


async def purge_removed_guilds(db: Database, *, retention: timedelta, now: datetime) -> list[int]:
    """Delete the data of servers removed longer than `retention` ago; returns their ids.

    Their own feeds that no other server reads stop being fetched (as /feeds remove does);
    articles stay."""
    cutoff = now - retention
    async with db.connection() as conn:
        due = (
            (
                await conn.execute(
                    sa.select(guild_removals.c.guild_id).where(
                        guild_removals.c.removed_at <= cutoff
                    )
                )
            )
            .scalars()
            .all()
        )
    purged = []
    for guild_id in due:
        async with db.begin() as conn:
            await db.lock(conn, _lock(guild_id))
            removed_at = await _removed_at(conn, guild_id)
            if removed_at is None or removed_at > cutoff:
                continue  # the bot came back meanwhile
            own = (
                (
                    await conn.execute(
                        sa.select(guild_feeds.c.feed_id).where(guild_feeds.c.guild_id == guild_id)
                    )
                )
                .scalars()
                .all()
            )
            for table in _GUILD_DATA:
                await conn.execute(sa.delete(table).where(table.c.guild_id == guild_id))
            if own:
                readers = sa.select(guild_feeds.c.feed_id).where(
                    guild_feeds.c.feed_id == feeds.c.id
                )
                await conn.execute(
                    sa.update(feeds)
                    .where(feeds.c.id.in_(own), feeds.c.is_default.is_(False), ~readers.exists())
                    .values(enabled=False)
                )
            await conn.execute(
                sa.delete(guild_removals).where(guild_removals.c.guild_id == guild_id)
            )
        purged.append(guild_id)
        log.info("guild %s: removed since %s; its data is purged", guild_id, removed_at)
    return purged
