"""One number that changes whenever the pipeline publishes new data, stored in `app_state`.

The pipeline bumps it after storing, scoring and translating (bot/runtime/jobs.py); every
process that serves reads watches it (bot/runtime/dataversion.py), and live rounds use it to
know a pass is complete (bot/live/trigger.py). One primary-key read, on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bot.storage import Database, kv

DATA_VERSION_KEY = "data:version"


async def data_version(db: Database) -> int:
    """The current data version: 0 until the pipeline first publishes."""
    raw = await kv.get_value(db, DATA_VERSION_KEY)
    try:
        return int(raw) if raw is not None else 0
    except ValueError:  # never written by us; the next bump starts over
        return 0


async def bump_data_version(db: Database) -> int:
    """Add one, atomically (two pipelines may publish at once), and return the new version."""
    table = kv.app_state
    now = datetime.now(UTC)
    increment = (
        sa.update(table)
        .where(table.c.key == DATA_VERSION_KEY)
        .values(value=sa.cast(sa.cast(table.c.value, sa.Integer) + 1, sa.Text), updated_at=now)
    )
    async with db.begin() as conn:
        if (await conn.execute(increment)).rowcount == 0:
            first = db.insert_ignore(table, "key").values(
                key=DATA_VERSION_KEY, value="0", updated_at=now
            )
            await conn.execute(first)
            await conn.execute(increment)
        value = await conn.scalar(sa.select(table.c.value).where(table.c.key == DATA_VERSION_KEY))
    return int(value)
