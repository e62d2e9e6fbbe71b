"""Bundled history in the database (idempotent) and signal events stored once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from bot.config import Settings
from bot.market.breakout import detect_breakouts
from bot.market.bundle import BUNDLED_SERIES, read_bundled
from bot.market.events import events_from_breakouts, list_signal_events, record_signal_events
from bot.market.series import RUT
from bot.market.signal import ensure_bundled_history
from bot.market.store import latest_days, load_series, upsert_points
from bot.market.tables import market_series, signal_events
from bot.storage import Database

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


async def count(db: Database, table: sa.Table) -> int:
    async with db.connection() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def test_bundled_history_loads_once(db: Database, settings: Settings) -> None:
    first = await ensure_bundled_history(db, settings, now=NOW)
    assert first == {name: len(read_bundled(name)) for name in BUNDLED_SERIES}
    rows, events = await count(db, market_series), await count(db, signal_events)
    assert await ensure_bundled_history(db, settings, now=NOW) == {}
    assert (await count(db, market_series), await count(db, signal_events)) == (rows, events)
    assert await load_series(db, RUT) == list(read_bundled(RUT))
    assert (await latest_days(db))[RUT] == read_bundled(RUT)[-1][0]


async def test_bundled_breakouts_are_history_not_alerts(db: Database, settings: Settings) -> None:
    await ensure_bundled_history(db, settings, now=NOW)
    assert await list_signal_events(db) == []
    stored = {e.key for e in await list_signal_events(db, include_backfill=True)}
    assert {
        "rut:breakout:2015-06-23",
        "rut:breakout:2018-08-31",
        "rut:breakout:2021-11-08",
    } <= stored
    assert "rut:confirmation:2021-11-08" in stored


async def test_live_points_win_over_the_bundle(db: Database, settings: Settings) -> None:
    day = read_bundled(RUT)[-1][0]
    await upsert_points(db, RUT, [(day, 1.0)], "yahoo", now=NOW)
    await ensure_bundled_history(db, settings, now=NOW)
    assert (await load_series(db, RUT))[-1] == (day, 1.0)


async def test_events_are_recorded_once(db: Database) -> None:
    events = events_from_breakouts(detect_breakouts(read_bundled(RUT)))
    breakout = [e for e in events if e.key == "rut:breakout:2021-11-08"]
    now = datetime(2025, 9, 19, tzinfo=UTC)
    first = await record_signal_events(db, breakout, live=True, max_age_days=7, now=now)
    assert [e.key for e in first] == ["rut:breakout:2021-11-08"]
    again = await record_signal_events(db, breakout, live=True, max_age_days=7, now=now)
    assert again == []
    [stored] = await list_signal_events(db)
    assert stored.day == date(2025, 9, 18) and stored.delivered_at is None
    assert stored.payload["old_record"] == 2442.74
    # Months later the confirmation arrives: only it is new.
    recent = [e for e in events if e.day >= date(2025, 9, 1)]
    later = datetime(2025, 12, 24, tzinfo=UTC)
    confirmed = await record_signal_events(db, recent, live=True, max_age_days=7, now=later)
    assert [e.key for e in confirmed] == ["rut:confirmation:2021-11-08"]
    assert len(await list_signal_events(db)) == 2
