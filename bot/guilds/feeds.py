"""A server's feeds: the defaults (each can be switched off per server) plus its own additions.

The pipeline fetches every enabled feed once, whoever added it; what a server sees is filtered
by `feed_sets` / `active_feed_ids` (outside a server: `default_feed_ids`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from bot.errors import BadInput
from bot.guilds.tables import guild_disabled_feeds, guild_feeds
from bot.i18n import N_
from bot.news.tables import feed_state, feeds
from bot.storage import Database
from bot.storage.db import AsyncConnection
from bot.text_limits import LINK_CHARS, feed_name, fits_key


@dataclass(frozen=True)
class GuildFeed:
    id: int
    name: str
    url: str
    language: str
    is_default: bool
    active: bool
    # The last fetch, when it went wrong: feed_state's status (failing, blocked, gone, or ok
    # for a slow answer) and its reason code (see bot/guilds/feed_status.py).
    status: str | None = None
    error: str | None = None


def _guild_feeds_query(guild_id: int) -> sa.Select:
    disabled = sa.select(guild_disabled_feeds.c.feed_id).where(
        guild_disabled_feeds.c.guild_id == guild_id
    )
    own = sa.select(guild_feeds.c.feed_id).where(guild_feeds.c.guild_id == guild_id)
    return (
        sa.select(
            feeds.c.id,
            feeds.c.name,
            feeds.c.url,
            feeds.c.language,
            feeds.c.is_default,
            feeds.c.id.in_(disabled).label("disabled"),
            feed_state.c.status,
            feed_state.c.last_error,
        )
        .outerjoin(feed_state, feed_state.c.feed_id == feeds.c.id)
        .where(
            sa.or_(
                sa.and_(feeds.c.is_default.is_(True), feeds.c.enabled.is_(True)),
                feeds.c.id.in_(own),
            )
        )
        .order_by(feeds.c.is_default.desc(), feeds.c.language, feeds.c.name)
    )


async def _read_guild_feeds(conn: AsyncConnection, guild_id: int) -> list[GuildFeed]:
    rows = (await conn.execute(_guild_feeds_query(guild_id))).all()
    return [
        GuildFeed(
            r.id,
            r.name,
            r.url,
            r.language,
            bool(r.is_default),
            not r.disabled,
            r.status,
            r.last_error,
        )
        for r in rows
    ]


async def list_guild_feeds(db: Database, guild_id: int) -> list[GuildFeed]:
    async with db.connection() as conn:
        return await _read_guild_feeds(conn, guild_id)


def feed_limit_lock(guild_id: int) -> str:
    """The lock name (Database.lock) under which a server's own feed list changes."""
    return f"guild_feeds:{guild_id}"


async def active_feed_ids(db: Database, guild_id: int) -> list[int]:
    """The feeds one server reads, by the same rule the digest engine uses (`feed_sets`)."""
    return list((await feed_sets(db, [guild_id]))[guild_id])


async def default_feed_ids(db: Database) -> list[int]:
    """The feeds read outside a server (DMs, the CLI): the enabled defaults, no server's own."""
    query = (
        sa.select(feeds.c.id)
        .where(feeds.c.is_default.is_(True), feeds.c.enabled.is_(True))
        .order_by(feeds.c.id)
    )
    async with db.connection() as conn:
        return list((await conn.execute(query)).scalars())


async def feed_sets(db: Database, guild_ids: Collection[int]) -> dict[int, tuple[int, ...]]:
    """Each server's active feed ids, sorted: the one rule for what a server reads, in a few
    queries however many servers (the digest engine needs hundreds at once). `/feeds list`
    shows the same set as its active rows (tests/guilds/test_feed_sets.py)."""
    defaults = set(await default_feed_ids(db))
    sets = {g: set(defaults) for g in guild_ids}
    wanted = list(sets)
    async with db.connection() as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            own = sa.select(guild_feeds.c.guild_id, guild_feeds.c.feed_id).where(
                guild_feeds.c.guild_id.in_(chunk)
            )
            for guild_id, feed_id in await conn.execute(own):
                sets[guild_id].add(feed_id)
            off = sa.select(guild_disabled_feeds.c.guild_id, guild_disabled_feeds.c.feed_id).where(
                guild_disabled_feeds.c.guild_id.in_(chunk)
            )
            for guild_id, feed_id in await conn.execute(off):
                sets[guild_id].discard(feed_id)
    return {g: tuple(sorted(ids)) for g, ids in sets.items()}


async def add_guild_feed(
    db: Database,
    guild_id: int,
    *,
    url: str,
    name: str,
    language: str,
    added_by: int | None,
    limit: int,
    now: datetime,
) -> GuildFeed:
    """Add a validated feed for a server (or switch a default it had turned off back on).

    `name` is the feed's own title: stored as bot.text_limits.feed_name makes it (the
    address when nothing of it is left). An address longer than LINK_CHARS (after
    redirects) is refused."""
    if not fits_key(url, LINK_CHARS):
        raise BadInput(N_("That address is too long."))
    name = feed_name(name) or feed_name(url)
    async with db.begin() as conn:
        # One add per server at a time, in every process: the count below is what the
        # insert is checked against, so parallel adds cannot all pass the limit.
        await db.lock(conn, feed_limit_lock(guild_id))
        current = await _read_guild_feeds(conn, guild_id)
        for feed in current:
            if feed.url != url:
                continue
            if feed.is_default and not feed.active:
                await conn.execute(
                    guild_disabled_feeds.delete().where(
                        (guild_disabled_feeds.c.guild_id == guild_id)
                        & (guild_disabled_feeds.c.feed_id == feed.id)
                    )
                )
                return replace(feed, active=True)
            raise BadInput(N_("That feed is already on this server's list."))
        if sum(1 for f in current if not f.is_default) >= limit:
            raise feed_limit_reached(limit)
        await conn.execute(
            db.insert_ignore(feeds, "url").values(
                url=url,
                name=name,
                language=language,
                is_default=False,
                enabled=True,
                created_at=now,
            )
        )
        row = (
            await conn.execute(sa.select(feeds.c.id, feeds.c.is_default).where(feeds.c.url == url))
        ).one()
        # Another server may have added it earlier and then removed it: fetch it again.
        await conn.execute(feeds.update().where(feeds.c.id == row.id).values(enabled=True))
        await conn.execute(db.insert_ignore(feed_state, "feed_id").values(feed_id=row.id))
        await conn.execute(
            db.insert_ignore(guild_feeds, "guild_id", "feed_id").values(
                guild_id=guild_id, feed_id=row.id, added_by=added_by, added_at=now
            )
        )
    return GuildFeed(row.id, name, url, language, bool(row.is_default), True)


def feed_limit_reached(limit: int) -> BadInput:
    return BadInput(
        N_("This server already has %(limit)d feeds of its own; remove one first."),
        limit=limit,
    )


async def check_room_for_feed(db: Database, guild_id: int, url: str, limit: int) -> None:
    """Refuse early, before any download, when a server has no room left for `url`.

    Only a shortcut: `add_guild_feed` checks again under the lock. A URL already on the list
    (a default switched off, or a duplicate) passes: `add_guild_feed` answers for it."""
    current = await list_guild_feeds(db, guild_id)
    if any(f.url == url for f in current):
        return
    if sum(1 for f in current if not f.is_default) >= limit:
        raise feed_limit_reached(limit)


async def remove_guild_feed(db: Database, guild_id: int, feed_id: int) -> GuildFeed:
    """Remove a server's own feed, or switch a default feed off for this server."""
    feed = next((f for f in await list_guild_feeds(db, guild_id) if f.id == feed_id), None)
    if feed is None or (feed.is_default and not feed.active):
        raise BadInput(N_("That feed is not on this server's list."))
    async with db.begin() as conn:
        if feed.is_default:
            await conn.execute(
                db.insert_ignore(guild_disabled_feeds, "guild_id", "feed_id").values(
                    guild_id=guild_id, feed_id=feed_id
                )
            )
        else:
            await conn.execute(
                guild_feeds.delete().where(
                    (guild_feeds.c.guild_id == guild_id) & (guild_feeds.c.feed_id == feed_id)
                )
            )
            users = await conn.scalar(
                sa.select(sa.func.count()).where(guild_feeds.c.feed_id == feed_id)
            )
            if not users:  # nobody reads it any more: stop fetching it
                await conn.execute(
                    feeds.update().where(feeds.c.id == feed_id).values(enabled=False)
                )
    return replace(feed, active=False)


# Why /feeds add refused a URL, by the reason code bot.news.validate gives.
FEED_REFUSALS = {
    "scheme": N_("Only http:// and https:// feed addresses are allowed."),
    "private": N_("That address points into a private network; I only fetch public feeds."),
    "unreachable": N_("I could not reach that address. Check it and try again."),
    "too_large": N_("That feed is too large."),
    "not_a_feed": N_("That address does not serve an RSS or Atom feed."),
    "unsupported_encoding": N_(
        "That feed comes compressed in a way I do not accept (only gzip, deflate or br)."
    ),
}


def feed_refusal(reason: str) -> str:
    return FEED_REFUSALS.get(reason, FEED_REFUSALS["unreachable"])
