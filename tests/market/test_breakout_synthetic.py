"""Breakout rules on small synthetic series: ties, gaps, starts at a record, failures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from bot.market.breakout import BreakoutRules, detect_breakouts, record_line, signal_state
from bot.market.series import Point

START = date(2024, 1, 1)
RULES = BreakoutRules(min_sessions=5, confirm_sessions=3, chop_window=4)


def series(values: Sequence[float], *, step_days: list[int] | None = None) -> list[Point]:
    days, day = [], START
    for i in range(len(values)):
        days.append(day)
        day += timedelta(days=(step_days[i] if step_days else 1))
    return list(zip(days, values, strict=True))


def test_first_close_above_a_long_standing_record_is_a_breakout() -> None:
    s = series([100, 90, 91, 92, 93, 94, 101, 102, 103])
    [b] = detect_breakouts(s, RULES)
    assert (b.date, b.old_record, b.old_record_date, b.record_stood) == (s[6][0], 100, s[0][0], 6)
    assert b.confirmed_on == s[8][0]  # breakout day + 2 more closes above 100


def test_record_must_stand_min_sessions() -> None:
    exactly = series([100, 90, 90, 90, 90, 101])  # record stood 5 sessions
    too_short = series([100, 90, 90, 90, 101])  # 4 sessions
    assert len(detect_breakouts(exactly, RULES)) == 1
    assert detect_breakouts(too_short, RULES) == []


def test_a_tie_is_not_a_breakout_and_does_not_reset_the_record() -> None:
    s = series([100, 90, 90, 90, 100, 90, 101])
    [b] = detect_breakouts(s, RULES)
    assert b.date == s[6][0]
    assert b.old_record_date == s[0][0]
    assert b.record_stood == 6


def test_a_tie_breaks_the_confirmation_run() -> None:
    s = series([100, 90, 90, 90, 90, 101, 100, 102, 103, 104])
    [b] = detect_breakouts(s, RULES)
    assert b.confirmed_on == s[9][0]
    assert b.closes_below == 0  # a tie is not a close below


def test_series_starting_at_a_record_has_no_breakout_at_its_start() -> None:
    s = series([200, 150, 150, 150, 150, 150, 150])
    assert detect_breakouts(s, RULES) == []
    state = signal_state(s, RULES)
    assert state is not None
    assert state.record_date == s[0][0] and state.sessions_since_record == 6 and state.armed


def test_gaps_count_sessions_not_calendar_days() -> None:
    # Five sessions spread over two months still make a record that stood five sessions.
    s = series([100, 90, 90, 90, 90, 101], step_days=[14, 14, 14, 14, 14, 1])
    [b] = detect_breakouts(s, RULES)
    assert b.record_stood == 5
    # And many calendar days with few sessions are not enough.
    short = series([100, 90, 90, 101], step_days=[120, 120, 120, 1])
    assert detect_breakouts(short, RULES) == []


def test_a_breakout_that_fails_is_counted_as_choppy_and_unconfirmed() -> None:
    s = series([100, 90, 90, 90, 90, 101, 99, 98, 97, 96])
    [b] = detect_breakouts(s, RULES)
    assert b.confirmed_on is None
    assert (b.closes_below, b.sessions_after, b.first_close_below) == (4, 4, s[6][0])
    assert b.choppy and b.window_complete


def test_young_breakout_window_is_incomplete() -> None:
    s = series([100, 90, 90, 90, 90, 101, 102])
    [b] = detect_breakouts(s, RULES)
    assert b.sessions_after == 1 and not b.window_complete


def test_confirmation_search_stops_at_the_next_breakout() -> None:
    # First breakout fails; a later one (above a new record that stood long) supersedes it.
    values = [100, 90, 90, 90, 90, 101, 95, 95, 95, 95, 95, 96, 102, 103, 104]
    s = series(values)
    first, second = detect_breakouts(s, RULES)
    assert first.date == s[5][0] and first.confirmed_on is None
    assert second.old_record == 101 and second.confirmed_on == s[14][0]


def test_month_end_rule() -> None:
    rules = BreakoutRules(min_sessions=3, confirm_rule="month_end")
    days = [date(2024, 1, d) for d in (22, 23, 24, 25, 26, 29, 30, 31)] + [date(2024, 2, 1)]
    values = [100, 90, 90, 90, 101, 99, 102, 103, 104]
    [b] = detect_breakouts(list(zip(days, values, strict=True)), rules)
    assert b.confirmed_on == date(2024, 1, 31)


def test_month_end_rule_waits_when_the_newest_point_is_not_a_month_end() -> None:
    rules = BreakoutRules(min_sessions=3, confirm_rule="month_end")
    days = [date(2024, 1, d) for d in (22, 23, 24, 25, 26)]
    [b] = detect_breakouts(list(zip(days, [100, 90, 90, 90, 101], strict=True)), rules)
    assert b.confirmed_on is None
    # Friday 2024-05-31 is the last weekday of May: the newest point counts.
    may = [date(2024, 5, d) for d in (24, 27, 28, 29, 30, 31)]
    [b] = detect_breakouts(list(zip(may, [100, 90, 90, 90, 101, 102], strict=True)), rules)
    assert b.confirmed_on == date(2024, 5, 31)


def test_state_distance_and_record_line() -> None:
    s = series([100, 120, 110])
    state = signal_state(s, RULES)
    assert state is not None
    assert state.record == 120 and not state.at_record
    assert state.distance == 110 / 120 - 1
    assert record_line(s) == [100, 120, 120]
    assert signal_state([], RULES) is None
