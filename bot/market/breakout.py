"""All-time highs and breakouts on a closing basis: pure functions over (date, close) points.

A record is a close strictly above every earlier close (a tie does not set a new record and
does not reset how long the record has stood). A breakout is the first close above a record
that stood for at least `min_sessions` sessions, counted as data rows (gaps in the data are
market closures, so rows are sessions). The first point of a series is its first record,
never a breakout: nothing stood before it.

A breakout is confirmed by one of two rules:
- "consecutive" (default): `confirm_sessions` consecutive closes above the old record,
  the breakout day counting as the first; a tie with the old record breaks the run.
- "month_end": the first month-end close above the old record (the last session of a
  calendar month; the newest point counts only when no weekday is left in its month).
The search for a confirmation ends at the next breakout: a breakout that never held is left
unconfirmed rather than credited with a later move.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from bot.market.series import Series

ConfirmRule = Literal["consecutive", "month_end"]
# Half a year of sessions: how long after a breakout we count closes back below the old
# record (the "choppiness" of the breakout).
CHOP_WINDOW_SESSIONS = 126


@dataclass(frozen=True)
class BreakoutRules:
    min_sessions: int = 250
    confirm_rule: ConfirmRule = "consecutive"
    confirm_sessions: int = 20
    chop_window: int = CHOP_WINDOW_SESSIONS


@dataclass(frozen=True)
class Breakout:
    date: dt.date
    close: float
    index: int
    old_record: float
    old_record_date: dt.date
    record_stood: int  # sessions from the old record to the breakout
    confirmed_on: dt.date | None
    closes_below: int  # closes below the old record in the chop window after the breakout
    sessions_after: int  # sessions of that window present in the data (fewer while young)
    first_close_below: dt.date | None = None
    chop_window: int = field(default=CHOP_WINDOW_SESSIONS)

    @property
    def choppy(self) -> bool:
        return self.closes_below > 0

    @property
    def window_complete(self) -> bool:
        return self.sessions_after >= self.chop_window


@dataclass(frozen=True)
class SignalState:
    last_date: dt.date
    last_close: float
    record: float
    record_date: dt.date
    distance: float  # last close / record - 1 (0 at a record, negative below it)
    sessions_since_record: int
    armed: bool  # the record has stood long enough that the next close above it is a breakout
    last_breakout: Breakout | None
    sessions_since_breakout: int | None

    @property
    def at_record(self) -> bool:
        return self.last_close >= self.record


def _is_month_end(series: Series, j: int) -> bool:
    day = series[j][0]
    if j + 1 < len(series):
        return series[j + 1][0].month != day.month or series[j + 1][0].year != day.year
    last_dom = calendar.monthrange(day.year, day.month)[1]
    rest = (day + timedelta(days=n) for n in range(1, last_dom - day.day + 1))
    return all(d.weekday() >= 5 for d in rest)


def _confirmation(
    series: Series, start: int, stop: int, old_record: float, rules: BreakoutRules
) -> dt.date | None:
    run = 0
    for j in range(start, stop):
        above = series[j][1] > old_record
        if rules.confirm_rule == "month_end":
            if above and _is_month_end(series, j):
                return series[j][0]
            continue
        run = run + 1 if above else 0
        if run >= rules.confirm_sessions:
            return series[j][0]
    return None


def detect_breakouts(series: Series, rules: BreakoutRules | None = None) -> list[Breakout]:
    """Every breakout in a date-sorted series, oldest first."""
    rules = rules or BreakoutRules()
    found: list[tuple[int, float, int]] = []  # (index, old record, old record index)
    record, record_i = float("-inf"), -1
    for i, (_day, close) in enumerate(series):
        if close > record:
            if record_i >= 0 and i - record_i >= rules.min_sessions:
                found.append((i, record, record_i))
            record, record_i = close, i

    breakouts: list[Breakout] = []
    for n, (i, old, old_i) in enumerate(found):
        stop = found[n + 1][0] if n + 1 < len(found) else len(series)
        window = series[i + 1 : i + 1 + rules.chop_window]
        below = [day for day, close in window if close < old]
        breakouts.append(
            Breakout(
                date=series[i][0],
                close=series[i][1],
                index=i,
                old_record=old,
                old_record_date=series[old_i][0],
                record_stood=i - old_i,
                confirmed_on=_confirmation(series, i, stop, old, rules),
                closes_below=len(below),
                sessions_after=len(window),
                first_close_below=below[0] if below else None,
                chop_window=rules.chop_window,
            )
        )
    return breakouts


def record_line(series: Series) -> list[float]:
    """The all-time closing high as of each point (for charts)."""
    out: list[float] = []
    best = float("-inf")
    for _day, close in series:
        best = max(best, close)
        out.append(best)
    return out


def signal_state(
    series: Series, rules: BreakoutRules | None = None, breakouts: list[Breakout] | None = None
) -> SignalState | None:
    """Where the series stands now; None for an empty series."""
    if not series:
        return None
    rules = rules or BreakoutRules()
    if breakouts is None:
        breakouts = detect_breakouts(series, rules)
    record, record_i = float("-inf"), 0
    for i, (_day, close) in enumerate(series):
        if close > record:
            record, record_i = close, i
    last_i = len(series) - 1
    last = breakouts[-1] if breakouts else None
    return SignalState(
        last_date=series[last_i][0],
        last_close=series[last_i][1],
        record=record,
        record_date=series[record_i][0],
        distance=series[last_i][1] / record - 1,
        sessions_since_record=last_i - record_i,
        armed=last_i + 1 - record_i >= rules.min_sessions,
        last_breakout=last,
        sessions_since_breakout=last_i - last.index if last else None,
    )
