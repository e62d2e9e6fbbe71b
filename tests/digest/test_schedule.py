from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest.schedule import (
    Slot,
    due_slot,
    latest_slot,
    next_run,
    parse_time,
    parse_zone,
    run_at,
)
from bot.errors import BadInput
from bot.i18n import use_language

AMS = ZoneInfo("Europe/Amsterdam")
NY = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("08:00", time(8, 0)), ("8:05", time(8, 5)), ("00:00", time(0, 0)), ("23:59", time(23, 59))],
)
def test_parse_time_accepts_24_hour_clock(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "8", "8am", "", "ab:cd", "-1:00"])
def test_parse_time_refuses_bad_input_with_translated_reason(text: str) -> None:
    with pytest.raises(BadInput) as info:
        parse_time(text)
    english = info.value.message()
    with use_language("nl"):
        dutch = info.value.message()
    assert "HH:MM" in english
    assert dutch != english


def test_parse_zone() -> None:
    assert parse_zone(" Europe/Amsterdam ") == AMS
    for bad in ("Mars/Olympus", "", "../etc/passwd", "/usr/share/zoneinfo/UTC"):
        with pytest.raises(BadInput):
            parse_zone(bad)


def test_run_at_ordinary_days_follow_the_offset() -> None:
    assert run_at(date(2026, 1, 15), time(8, 0), AMS) == utc(2026, 1, 15, 7, 0)  # CET
    assert run_at(date(2026, 7, 15), time(8, 0), AMS) == utc(2026, 7, 15, 6, 0)  # CEST
    assert run_at(date(2026, 7, 15), time(8, 0), NY) == utc(2026, 7, 15, 12, 0)


def test_nonexistent_time_on_spring_forward_runs_at_first_valid_instant() -> None:
    # 29 March 2026: clocks jump from 02:00 CET to 03:00 CEST (01:00 UTC).
    assert run_at(date(2026, 3, 29), time(2, 30), AMS) == utc(2026, 3, 29, 1, 0)
    assert run_at(date(2026, 3, 29), time(2, 0), AMS) == utc(2026, 3, 29, 1, 0)
    assert run_at(date(2026, 3, 29), time(3, 0), AMS) == utc(2026, 3, 29, 1, 0)
    assert run_at(date(2026, 3, 29), time(1, 59), AMS) == utc(2026, 3, 29, 0, 59)


def test_ambiguous_time_on_fall_back_runs_once_at_first_occurrence() -> None:
    # 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
    first = run_at(date(2026, 10, 25), time(2, 30), AMS)
    assert first == utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    after_first = next_run(time(2, 30), AMS, first)
    assert after_first == utc(2026, 10, 26, 1, 30)  # next day, not the second 02:30
    assert due_slot(time(2, 30), AMS, utc(2026, 10, 25, 1, 30)) == Slot(date(2026, 10, 25), first)


def test_next_run_across_dst_and_midnight() -> None:
    # The day before spring-forward, after the run: the next one is the gap's end.
    assert next_run(time(2, 30), AMS, utc(2026, 3, 28, 2, 0)) == utc(2026, 3, 29, 1, 0)
    # Daily runs keep their wall-clock time across the change (UTC hour shifts by one).
    assert next_run(time(8, 0), AMS, utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 29, 6, 0)
    assert next_run(time(8, 0), AMS, utc(2026, 10, 24, 12, 0)) == utc(2026, 10, 25, 7, 0)
    # Midnight local is the previous UTC day; `after` equal to a run is not "after" it.
    midnight = utc(2026, 11, 23, 23, 0)
    assert next_run(time(0, 0), AMS, utc(2026, 11, 23, 22, 0)) == midnight
    assert next_run(time(0, 0), AMS, midnight) == utc(2026, 11, 24, 23, 0)


def test_midnight_slot_belongs_to_the_new_local_date() -> None:
    now = utc(2026, 11, 23, 23, 30)  # 00:30 on 24 November in Amsterdam
    assert latest_slot(time(0, 0), AMS, now) == Slot(date(2026, 11, 24), utc(2026, 11, 23, 23))


def test_grace_window_late_delivery_and_cutoff() -> None:
    run = utc(2026, 11, 24, 7, 0)  # 08:00 Amsterdam
    assert due_slot(time(8, 0), AMS, run - timedelta(seconds=1)) is None
    assert due_slot(time(8, 0), AMS, run) == Slot(date(2026, 11, 24), run)
    assert due_slot(time(8, 0), AMS, run + timedelta(hours=6)) is not None
    assert due_slot(time(8, 0), AMS, run + timedelta(hours=6, seconds=1)) is None
    short = timedelta(minutes=30)
    assert due_slot(time(8, 0), AMS, run + timedelta(minutes=31), grace=short) is None


def test_several_missed_days_give_at_most_the_latest_slot() -> None:
    # Down from Friday to Monday 09:00: only Monday's 08:00 slot is due, never the weekend's.
    slot = due_slot(time(8, 0), AMS, utc(2026, 11, 23, 8, 0))
    assert slot == Slot(date(2026, 11, 23), utc(2026, 11, 23, 7, 0))
    # Monday 20:00: Monday's slot is out of grace and older ones are not considered at all.
    assert due_slot(time(8, 0), AMS, utc(2026, 11, 23, 19, 0)) is None
    # Even a grace longer than a day yields a single slot, the latest.
    long = timedelta(hours=30)
    assert due_slot(time(8, 0), AMS, utc(2026, 11, 23, 19, 0), grace=long) == slot


def test_slots_before_the_subscription_never_run() -> None:
    created = utc(2026, 11, 24, 9, 0)  # 10:00 local, subscribed for 08:00
    assert due_slot(time(8, 0), AMS, utc(2026, 11, 24, 9, 1), not_before=created) is None
    tomorrow = due_slot(time(8, 0), AMS, utc(2026, 11, 25, 7, 0), not_before=created)
    assert tomorrow is not None and tomorrow.local_date == date(2026, 11, 25)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        next_run(time(8, 0), AMS, datetime(2026, 1, 1, 8, 0))  # noqa: DTZ001
