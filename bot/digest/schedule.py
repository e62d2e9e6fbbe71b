"""When a daily digest runs: local wall-clock time in an IANA zone, mapped to UTC instants.

Pure functions, no I/O. A subscription runs once per *local date*; the slot for a date is the
UTC instant of its local time on that date:

- a local time that does not exist that day (02:30 on spring-forward day in Europe/Amsterdam)
  runs at the first valid instant after it (03:00 CEST);
- a local time that occurs twice (02:30 on fall-back day) runs at its first occurrence.

`due_slot` picks only the most recent slot whose run time has passed, and only while it is
inside the grace window, so a bot that was down for days sends at most one late digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import BadInput
from bot.i18n import N_

DEFAULT_GRACE = timedelta(hours=6)

_HHMM = re.compile(r"\s*(\d{1,2})[:.h](\d{2})\s*")


@dataclass(frozen=True, slots=True)
class Slot:
    """One day's run of a subscription: its local date and the UTC instant it is due."""

    local_date: date
    run_at: datetime


def parse_time(text: str) -> time:
    """'08:00', '8:00', '20.30' or '7h15' (24-hour clock) -> time; BadInput otherwise."""
    match = _HHMM.fullmatch(text or "")
    if match:
        hour, minute = int(match[1]), int(match[2])
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise BadInput(
        N_("%(value)s is not a time: use HH:MM on the 24-hour clock, for example 08:00."),
        value=(text or "").strip()[:20] or "''",
    )


def format_time(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def parse_zone(name: str) -> ZoneInfo:
    """An IANA zone name ('Europe/Amsterdam') -> ZoneInfo; BadInput for anything unknown."""
    cleaned = (name or "").strip()
    # ZoneInfo also accepts file-system paths relative to the tz database; refuse those.
    if cleaned and ".." not in cleaned and not cleaned.startswith("/"):
        try:
            return ZoneInfo(cleaned)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise BadInput(
        N_("%(value)s is not a known time zone: use an IANA name such as Europe/Amsterdam."),
        value=cleaned[:40] or "''",
    )


def _offset_at(instant: datetime, zone: ZoneInfo) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def _gap_end(naive: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant a DST gap containing `naive` ends (the first valid local time after it).

    fold=1 reads the wall time with the post-transition offset (an instant before the
    transition), fold=0 with the pre-transition one (after it); bisect between them.
    """
    lo = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if lo > hi:
        lo, hi = hi, lo
    before = _offset_at(lo, zone)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if _offset_at(mid, zone) == before:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)


def run_at(local_date: date, local_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of `local_time` on `local_date` in `zone` (gaps and overlaps resolved)."""
    naive = datetime.combine(local_date, local_time)
    aware = naive.replace(tzinfo=zone, fold=0)  # fold=0: the first of two occurrences
    utc = aware.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != naive:  # the wall time does not exist
        return _gap_end(naive, zone)
    return utc


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the scheduler")


def next_run(local_time: time, zone: ZoneInfo, after: datetime) -> datetime:
    """The first run strictly after `after`, in UTC."""
    _require_aware(after)
    today = after.astimezone(zone).date()
    for offset in range(-1, 3):
        candidate = run_at(today + timedelta(days=offset), local_time, zone)
        if candidate > after:
            return candidate
    raise AssertionError("no run within three days")  # pragma: no cover


def latest_slot(local_time: time, zone: ZoneInfo, now: datetime) -> Slot:
    """The most recent slot whose run time is at or before `now`."""
    _require_aware(now)
    today = now.astimezone(zone).date()
    for offset in range(1, -3, -1):
        day = today + timedelta(days=offset)
        candidate = run_at(day, local_time, zone)
        if candidate <= now:
            return Slot(day, candidate)
    raise AssertionError("no slot within three days")  # pragma: no cover


def due_slot(
    local_time: time,
    zone: ZoneInfo,
    now: datetime,
    *,
    grace: timedelta = DEFAULT_GRACE,
    not_before: datetime | None = None,
) -> Slot | None:
    """The slot to deliver at `now`: the latest passed one, if still within `grace`.

    Slots before `not_before` (the subscription's creation) never run: subscribing at 10:00
    for 08:00 starts tomorrow. Older missed days are never returned.
    """
    slot = latest_slot(local_time, zone, now)
    if not_before is not None and slot.run_at < not_before:
        return None
    if now - slot.run_at > grace:
        return None
    return slot


def is_missed(slot: Slot, now: datetime, grace: timedelta = DEFAULT_GRACE) -> bool:
    return now - slot.run_at > grace
