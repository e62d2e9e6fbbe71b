"""Rate limits on costly commands (`/feeds add`): per server and per user, in the database.

Every attempt is a row in `command_attempts`, whatever became of it (a refused URL cost a
download too). `take_attempt` counts the attempts of the sliding window and records the new
one in one transaction, under `Database.lock` on the server and the user, so parallel
attempts (in one process or many) cannot all pass, and a restart forgets nothing. An attempt
refused here is not recorded: it cost nothing, and the time it names stays true.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.errors import RateLimited
from bot.guilds.tables import command_attempts
from bot.i18n import N_
from bot.storage import Database
from bot.storage.db import AsyncConnection

FEEDS_ADD = "feeds_add"

GUILD_TOO_OFTEN = N_("This server has tried to add feeds too often. Try again %(when)s.")
USER_TOO_OFTEN = N_("You have tried to add feeds too often. Try again %(when)s.")


@dataclass(frozen=True)
class Limits:
    per_guild: int
    per_user: int
    window: timedelta


async def take_attempt(
    db: Database, action: str, *, guild_id: int, user_id: int, limits: Limits, now: datetime
) -> None:
    """Record an attempt of `action`, or raise RateLimited (saying when to try again) when
    the server or the user already made their allowance within the window."""
    c = command_attempts
    async with db.begin() as conn:
        await db.lock(conn, f"{action}:guild:{guild_id}", f"{action}:user:{user_id}")
        waits = [
            (wait, text)
            for column, subject, limit, text in (
                (c.c.guild_id, guild_id, limits.per_guild, GUILD_TOO_OFTEN),
                (c.c.user_id, user_id, limits.per_user, USER_TOO_OFTEN),
            )
            if (wait := await _wait(conn, action, column, subject, limit, limits.window, now))
        ]
        if waits:
            wait, text = max(waits)  # both must have room again
            raise RateLimited(text, wait)
        await conn.execute(
            sa.insert(c).values(action=action, guild_id=guild_id, user_id=user_id, attempted_at=now)
        )


async def _wait(
    conn: AsyncConnection,
    action: str,
    column: sa.Column,
    subject: int,
    limit: int,
    window: timedelta,
    now: datetime,
) -> timedelta | None:
    """None when there is room; else how long until the window holds fewer than `limit`."""
    c = command_attempts
    recent = (
        (
            await conn.execute(
                sa.select(c.c.attempted_at)
                .where(c.c.action == action, column == subject, c.c.attempted_at > now - window)
                .order_by(c.c.attempted_at.desc())
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    if len(recent) < limit:
        return None
    # The limit-th most recent attempt leaving the window frees a place.
    return max(recent[limit - 1] + window - now, timedelta(seconds=1))


async def forget_attempts(db: Database, *, older_than: datetime) -> int:
    """Delete attempts no window can still count (run by the periodic guild job)."""
    async with db.begin() as conn:
        result = await conn.execute(
            sa.delete(command_attempts).where(command_attempts.c.attempted_at < older_than)
        )
    return int(result.rowcount or 0)
