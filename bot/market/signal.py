"""Glue between settings, stored series and events: rules, bundled load, event emission."""

from __future__ import annotations

import asyncio
import weakref
from datetime import datetime

from bot.config import Settings
from bot.market.breakout import BreakoutRules, detect_breakouts
from bot.market.events import SignalEvent, events_from_breakouts, record_signal_events
from bot.market.series import RUT
from bot.market.store import load_bundled_history, load_series
from bot.storage import Database


def rules_from_settings(settings: Settings) -> BreakoutRules:
    return BreakoutRules(
        min_sessions=settings.breakout_min_sessions,
        confirm_rule=settings.breakout_confirm_rule,
        confirm_sessions=settings.breakout_confirm_sessions,
    )


async def emit_signal_events(
    db: Database, settings: Settings, *, live: bool, now: datetime | None = None
) -> list[SignalEvent]:
    """Detect breakouts on the stored Russell 2000 and store any event not stored before."""
    series = await load_series(db, RUT)
    breakouts = await asyncio.to_thread(detect_breakouts, series, rules_from_settings(settings))
    return await record_signal_events(
        db,
        events_from_breakouts(breakouts),
        live=live,
        max_age_days=settings.market_event_max_age_days,
        now=now,
    )


# Databases this process has already checked: the bundle only needs loading once.
_bundle_checked: weakref.WeakSet[Database] = weakref.WeakSet()


async def ensure_bundled_history(
    db: Database, settings: Settings, *, now: datetime | None = None
) -> dict[str, int]:
    """Load the bundled history if missing; its breakouts are stored as history, not alerts."""
    if db in _bundle_checked:
        return {}
    inserted = await load_bundled_history(db, now=now)
    if inserted:
        await emit_signal_events(db, settings, live=False, now=now)
    _bundle_checked.add(db)
    return inserted
