"""Aftermath statistics and today's context, on bundled and synthetic series."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.market.aftermath import aftermath
from bot.market.breakout import detect_breakouts
from bot.market.bundle import read_bundled
from bot.market.context import (
    DOMINANCE_MIN_READINGS,
    MARKER_DOMINANCE,
    MARKER_ETH_BTC,
    MARKER_GREED,
    crypto_context,
    fear_greed_band,
)
from bot.market.series import BTC_DOMINANCE, ETH_BTC, RUT, Point, add_months, value_on_or_before


def daily(start: date, values: list[float]) -> list[Point]:
    return [(start + timedelta(days=i), v) for i, v in enumerate(values)]


def test_aftermath_of_the_bundled_breakouts() -> None:
    eth, dom = read_bundled(ETH_BTC), read_bundled(BTC_DOMINANCE)
    results = [a for b in detect_breakouts(read_bundled(RUT)) if (a := aftermath(b, eth, dom))]
    assert [a.breakout.date for a in results] == [
        date(2016, 11, 14),
        date(2020, 11, 13),
        date(2025, 9, 18),
    ]
    assert [a.window_complete for a in results] == [True, True, False]
    for a in results:
        start = value_on_or_before(eth, a.breakout.date)
        assert start is not None
        for h in a.changes:
            target = value_on_or_before(eth, add_months(a.breakout.date, h.months))
            if h.change is not None and target is not None:
                assert h.change == pytest.approx(target[1] / start[1] - 1)
        window = [p for p in eth if a.breakout.date < p[0] <= a.window_end]
        assert a.eth_btc_peak == max(window, key=lambda p: p[1])
    b2016, b2020, _b2025 = results
    # Dominance before 2017-07-14 is not comparable: the 2016 search starts there.
    assert b2016.dominance_partial and b2016.dominance_from == date(2017, 7, 14)
    assert b2016.dominance_start is None
    assert not b2020.dominance_partial and b2020.dominance_start is not None
    assert b2020.dominance_low is not None and b2020.dominance_low[1] < b2020.dominance_start[1]


def test_aftermath_needs_eth_btc_data() -> None:
    [b] = [b for b in detect_breakouts(read_bundled(RUT)) if b.date.year == 2004]
    assert aftermath(b, read_bundled(ETH_BTC), read_bundled(BTC_DOMINANCE)) is None


def test_markers_present() -> None:
    start = date(2025, 1, 1)
    eth = daily(start, [0.03] * 300 + [0.036] * 60)  # +20% over 90 days
    dom = daily(start, [65.0] * 200 + [58.0] * 200)  # 7 points below the 1-year high
    fng = daily(start, [70.0])
    c = crypto_context(eth, dom, [], fng)
    assert c.eth_btc_change == pytest.approx(0.2)
    assert c.dominance_gap == pytest.approx(7.0)
    assert {m.key: m.present for m in c.markers} == {
        MARKER_ETH_BTC: True,
        MARKER_DOMINANCE: True,
        MARKER_GREED: True,
    }
    assert c.present_count == 3


def test_markers_absent_and_unknown() -> None:
    start = date(2025, 1, 1)
    eth = daily(start, [0.04] * 300 + [0.039] * 60)
    c = crypto_context(eth, [], [], daily(start, [20.0]))
    assert {m.key: m.present for m in c.markers} == {
        MARKER_ETH_BTC: False,
        MARKER_DOMINANCE: None,
        MARKER_GREED: False,
    }
    assert (c.present_count, c.known_count) == (0, 2)


def test_live_coingecko_dominance_is_not_compared_with_tradingview() -> None:
    tv = daily(date(2025, 1, 1), [60.0] * 365)
    cg = daily(date(2026, 3, 1), [55.0] * 3)
    c = crypto_context([], tv, cg, [])
    assert c.dominance_basis == "tradingview" and c.dominance == tv[-1]
    assert c.dominance_live == cg[-1]
    # With a year of its own readings the CoinGecko basis takes over.
    cg_year = daily(date(2025, 3, 1), [50.0] * (DOMINANCE_MIN_READINGS + 200))
    c = crypto_context([], tv, cg_year, [])
    assert c.dominance_basis == "coingecko" and c.dominance_gap == 0


def test_fear_greed_bands_match_alternative_me() -> None:
    assert [fear_greed_band(v) for v in (0, 24, 25, 46, 47, 54, 55, 75, 76, 100)] == [
        "extreme_fear",
        "extreme_fear",
        "fear",
        "fear",
        "neutral",
        "neutral",
        "greed",
        "greed",
        "extreme_greed",
        "extreme_greed",
    ]
