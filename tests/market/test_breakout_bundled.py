"""Detection on the bundled Russell 2000 history: the breakouts the press reported."""

from __future__ import annotations

from datetime import date

import pytest

from bot.market.breakout import Breakout, BreakoutRules, detect_breakouts, signal_state
from bot.market.bundle import read_bundled
from bot.market.series import RUT

# (breakout day, old record, day of the old record): facts checked against press reports
# (../shared/data/README.md).
REPORTED = [
    (date(2016, 11, 14), 1295.80, date(2015, 6, 23)),
    (date(2020, 11, 13), 1740.75, date(2018, 8, 31)),
    (date(2025, 9, 18), 2442.74, date(2021, 11, 8)),
]


@pytest.fixture(scope="module")
def breakouts() -> dict[date, Breakout]:
    return {b.date: b for b in detect_breakouts(read_bundled(RUT))}


@pytest.mark.parametrize(("day", "old_record", "old_day"), REPORTED)
def test_reported_breakouts_are_found(
    breakouts: dict[date, Breakout], day: date, old_record: float, old_day: date
) -> None:
    b = breakouts[day]
    assert b.old_record == pytest.approx(old_record, abs=0.005)
    assert b.old_record_date == old_day
    assert b.record_stood >= 250


def test_2025_was_choppy_2016_and_2020_were_not(breakouts: dict[date, Breakout]) -> None:
    b2025 = breakouts[date(2025, 9, 18)]
    assert (b2025.closes_below, b2025.sessions_after) == (19, 126)
    for day in (date(2016, 11, 14), date(2020, 11, 13)):
        assert breakouts[day].closes_below == 0
        assert breakouts[day].sessions_after == 126


def test_chop_count_matches_a_direct_count() -> None:
    series = read_bundled(RUT)
    b = next(b for b in detect_breakouts(series) if b.date == date(2025, 9, 18))
    after = series[b.index + 1 : b.index + 127]
    assert b.closes_below == sum(1 for _d, close in after if close < b.old_record)


def test_no_breakout_between_the_reported_ones_since_2015(
    breakouts: dict[date, Breakout],
) -> None:
    since_2015 = sorted(d for d in breakouts if d.year >= 2015)
    assert since_2015 == [day for day, _r, _d in REPORTED]


def test_confirmations_follow_the_rule() -> None:
    series = read_bundled(RUT)
    for b in detect_breakouts(series):
        if b.confirmed_on is None:
            continue
        end = next(i for i, p in enumerate(series) if p[0] == b.confirmed_on)
        run = series[end - 19 : end + 1]
        assert all(close > b.old_record for _d, close in run)
        assert run[0][0] >= b.date


def test_month_end_rule_confirms_2016_at_the_end_of_november() -> None:
    rules = BreakoutRules(confirm_rule="month_end")
    found = {b.date: b for b in detect_breakouts(read_bundled(RUT), rules)}
    assert found[date(2016, 11, 14)].confirmed_on == date(2016, 11, 30)


def test_state_on_bundled_data() -> None:
    series = read_bundled(RUT)
    state = signal_state(series)
    assert state is not None
    assert state.last_date == series[-1][0]
    assert state.record == max(v for _d, v in series)
    assert state.last_breakout is not None and state.last_breakout.date == date(2025, 9, 18)
    assert state.sessions_since_breakout == len(series) - 1 - state.last_breakout.index
    assert state.distance == pytest.approx(series[-1][1] / state.record - 1)
