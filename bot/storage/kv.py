"""Small named values the process must remember across restarts (e.g. the command-sync hash)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Column, String, Table, Text

from bot.storage.db import Database
from bot.storage.tables import metadata
from bot.storage.types import UTCDateTime

app_state = Table(
    "app_state",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


async def get_value(db: Database, key: str) -> str | None:
    async with db.connection() as conn:
        value = await conn.scalar(sa.select(app_state.c.value).where(app_state.c.key == key))
    return str(value) if value is not None else None


async def set_value(db: Database, key: str, value: str) -> None:
    stmt = db.upsert(app_state, ["key"], ["value", "updated_at"]).values(
        key=key, value=value, updated_at=datetime.now(UTC)
    )
    async with db.begin() as conn:
        await conn.execute(stmt)
