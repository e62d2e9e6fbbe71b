"""Breakout alerts: the market's stored signal events as AlertEvents, and their words.

The market pipeline stores each breakout and confirmation once (bot.market.events), marking
history found offline as backfill; only live events become alerts. Each is posted once per
subscribed channel by `DeliveryEngine.deliver_alerts`, while it is younger than the alert
window (counted from when the pipeline found it).
"""

from __future__ import annotations

from datetime import date

from bot.delivery.messages import AlertEvent
from bot.i18n import _, fmt_date, fmt_number, ngettext
from bot.market.events import list_signal_events
from bot.storage import Database


async def recent_alert_events(db: Database, *, sample_size: int | None = None) -> list[AlertEvent]:
    """Every live (non-backfill) signal event; the engine drops those past the window."""
    events = await list_signal_events(db)
    return [
        AlertEvent(
            key=e.key,
            kind=e.kind,
            at=e.created_at,
            payload={**e.payload, "sample_size": sample_size},
        )
        for e in events
    ]


def _day(payload: dict[str, object], key: str) -> str:
    value = payload.get(key)
    return fmt_date(date.fromisoformat(str(value)), "long") if value else "?"


def _num(payload: dict[str, object], key: str) -> float:
    value = payload.get(key)
    return float(value) if isinstance(value, int | float) else 0.0


def alert_title(event: AlertEvent) -> str:
    if event.kind == "confirmation":
        return _("Russell 2000 breakout confirmed")
    return _("Russell 2000 breakout")


def alert_lines(event: AlertEvent) -> list[str]:
    """The alert's body in the current language, ending with the honesty line."""
    p: dict[str, object] = event.payload if isinstance(event.payload, dict) else {}
    values = {
        "close": fmt_number(_num(p, "close")),
        "record": fmt_number(_num(p, "old_record")),
        "date": _day(p, "breakout_day"),
        "record_date": _day(p, "old_record_day"),
        "stood": int(_num(p, "record_stood_sessions")),
        "confirmed": _day(p, "confirmed_day"),
    }
    if event.kind == "confirmation":
        lines = [
            _(
                "The breakout of %(date)s held: the Russell 2000 kept closing above its old "
                "record of %(record)s, confirmed on %(confirmed)s."
            )
            % values
        ]
    else:
        lines = [
            _(
                "The Russell 2000 closed at %(close)s on %(date)s, above its record of "
                "%(record)s from %(record_date)s that stood %(stood)d sessions."
            )
            % values,
            _("Crypto traders read this as an early sign of altseason."),
        ]
    cases = p.get("sample_size")
    if isinstance(cases, int):
        lines.append(
            ngettext(
                "A heuristic with %(n)d completed historical case, not a prediction.",
                "A heuristic with %(n)d completed historical cases, not a prediction.",
                cases,
            )
            % {"n": cases}
        )
    else:
        lines.append(_("A heuristic, not a prediction."))
    return lines
