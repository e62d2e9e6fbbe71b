"""Reading and writing market series in the database; loading the bundled history once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime

import sqlalchemy as sa

from bot.market.bundle import BUNDLE_SOURCE, BUNDLED_SERIES, read_bundled
from bot.market.series import Point
from bot.market.tables import market_series
from bot.storage import Database
from bot.storage.bulk import execute_many

log = logging.getLogger(__name__)


async def load_series(db: Database, name: str, *, since: date | None = None) -> list[Point]:
    query = sa.select(market_series.c.day, market_series.c.value).where(
        market_series.c.series == name
    )
    if since is not None:
        query = query.where(market_series.c.day >= since)
    async with db.connection() as conn:
        rows = (await conn.execute(query.order_by(market_series.c.day))).all()
    return [(row.day, float(row.value)) for row in rows]


async def latest_point(db: Database, name: str) -> Point | None:
    query = (
        sa.select(market_series.c.day, market_series.c.value)
        .where(market_series.c.series == name)
        .order_by(market_series.c.day.desc())
        .limit(1)
    )
    async with db.connection() as conn:
        row = (await conn.execute(query)).first()
    return (row.day, float(row.value)) if row else None


async def data_version(db: Database) -> tuple[int, datetime | None]:
    """Changes whenever points are added or revised: (row count, newest write)."""
    query = sa.select(sa.func.count(), sa.func.max(market_series.c.updated_at))
    async with db.connection() as conn:
        count, newest = (await conn.execute(query)).one()
    return int(count), newest


async def latest_days(db: Database) -> dict[str, date]:
    """The newest stored day of every series ("as of")."""
    query = sa.select(market_series.c.series, sa.func.max(market_series.c.day)).group_by(
        market_series.c.series
    )
    async with db.connection() as conn:
        rows = (await conn.execute(query)).all()
    return {series: day for series, day in rows}


async def upsert_points(
    db: Database, name: str, points: Iterable[Point], source: str, *, now: datetime | None = None
) -> int:
    """Merge points into a series; a newer reading of a stored day replaces it."""
    stamp = now or datetime.now(UTC)
    rows = [
        {"series": name, "day": day, "value": value, "source": source, "updated_at": stamp}
        for day, value in points
    ]
    if not rows:
        return 0
    stmt = db.upsert(market_series, ["series", "day"], ["value", "source", "updated_at"])
    async with db.begin() as conn:
        await execute_many(conn, stmt, rows)
    return len(rows)


async def load_bundled_history(db: Database, *, now: datetime | None = None) -> dict[str, int]:
    """Insert the bundled points that are missing; returns points inserted per series.

    Idempotent and cheap when done: a series counts as loaded when the database already
    holds at least as many days in the bundle's date range. Stored (live) points win.
    """
    stamp = now or datetime.now(UTC)
    inserted: dict[str, int] = {}
    stmt = db.insert_ignore(market_series, "series", "day")
    for name in BUNDLED_SERIES:
        points = read_bundled(name)
        if not points:
            continue
        count_query = (
            sa.select(sa.func.count())
            .select_from(market_series)
            .where(
                market_series.c.series == name,
                market_series.c.day.between(points[0][0], points[-1][0]),
            )
        )
        async with db.connection() as conn:
            have = int(await conn.scalar(count_query) or 0)
        if have >= len(points):
            continue
        rows = [
            {"series": name, "day": d, "value": v, "source": BUNDLE_SOURCE, "updated_at": stamp}
            for d, v in points
        ]
        async with db.begin() as conn:
            await execute_many(conn, stmt, rows)
        inserted[name] = len(points) - have
        log.info("loaded bundled %s history: %d points", name, len(points))
    return inserted
