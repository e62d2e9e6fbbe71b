"""Signal events: each breakout and each confirmation is stored once, under a stable key.

The key names the record that was broken (`rut:breakout:2021-11-08`), which does not move
when a later refresh revises a close. Events found in history (the bundled data, a rule
change, or a refresh after a long offline spell) are stored with `is_backfill` so they are
known but never announced; only events at most `market_event_max_age_days` old found by a
live refresh are alerts. Delivery (`delivered_at`) belongs to the digest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from bot.market.breakout import Breakout
from bot.market.series import RUT
from bot.market.tables import signal_events
from bot.storage import Database

log = logging.getLogger(__name__)

EventKind = Literal["breakout", "confirmation"]


@dataclass(frozen=True)
class SignalEvent:
    key: str
    kind: EventKind
    series: str
    day: date
    payload: dict[str, Any]


@dataclass(frozen=True)
class StoredSignalEvent:
    id: int
    key: str
    kind: EventKind
    series: str
    day: date
    payload: dict[str, Any]
    is_backfill: bool
    created_at: datetime
    delivered_at: datetime | None


def events_from_breakouts(breakouts: Sequence[Breakout], series: str = RUT) -> list[SignalEvent]:
    events: list[SignalEvent] = []
    for b in breakouts:
        payload = {
            "breakout_day": b.date.isoformat(),
            "close": b.close,
            "old_record": b.old_record,
            "old_record_day": b.old_record_date.isoformat(),
            "record_stood_sessions": b.record_stood,
        }
        anchor = b.old_record_date.isoformat()
        key = f"{series}:breakout:{anchor}"
        events.append(SignalEvent(key, "breakout", series, b.date, payload))
        if b.confirmed_on is not None:
            events.append(
                SignalEvent(
                    f"{series}:confirmation:{anchor}",
                    "confirmation",
                    series,
                    b.confirmed_on,
                    {**payload, "confirmed_day": b.confirmed_on.isoformat()},
                )
            )
    return events


async def record_signal_events(
    db: Database,
    events: Sequence[SignalEvent],
    *,
    live: bool,
    max_age_days: int,
    now: datetime | None = None,
) -> list[SignalEvent]:
    """Store events not stored before; returns the new ones that are alerts (not backfill)."""
    now = now or datetime.now(UTC)
    oldest_alert = now.date() - timedelta(days=max_age_days)
    alerts: list[SignalEvent] = []
    stmt = db.insert_ignore(signal_events, "event_key")
    async with db.begin() as conn:
        for event in events:
            backfill = not live or event.day < oldest_alert
            result = await conn.execute(
                stmt,
                {
                    "event_key": event.key,
                    "kind": event.kind,
                    "series": event.series,
                    "event_day": event.day,
                    "payload": json.dumps(event.payload, sort_keys=True),
                    "is_backfill": backfill,
                    "created_at": now,
                },
            )
            if result.rowcount and not backfill:
                alerts.append(event)
                log.info("new signal event %s on %s", event.key, event.day)
    return alerts


async def list_signal_events(
    db: Database, *, include_backfill: bool = False, undelivered_only: bool = False
) -> list[StoredSignalEvent]:
    """Stored events, oldest first; by default only the alerts (not backfilled history)."""
    query = sa.select(signal_events).order_by(signal_events.c.event_day, signal_events.c.id)
    if not include_backfill:
        query = query.where(signal_events.c.is_backfill.is_(False))
    if undelivered_only:
        query = query.where(signal_events.c.delivered_at.is_(None))
    async with db.connection() as conn:
        rows = (await conn.execute(query)).all()
    return [
        StoredSignalEvent(
            id=row.id,
            key=row.event_key,
            kind=row.kind,
            series=row.series,
            day=row.event_day,
            payload=json.loads(row.payload),
            is_backfill=bool(row.is_backfill),
            created_at=row.created_at,
            delivered_at=row.delivered_at,
        )
        for row in rows
    ]
