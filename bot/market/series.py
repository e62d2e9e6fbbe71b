"""Plain time-series helpers: a series is a date-sorted list of (date, value) points."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date

Point = tuple[date, float]
Series = Sequence[Point]

# Series names as stored in the database (market_series.series).
RUT = "rut"
ETH_BTC = "eth_btc"
BTC_USD = "btc_usd"
ETH_USD = "eth_usd"
# BTC dominance on TradingView's basis (bundled, comparable from 2017-07-14).
BTC_DOMINANCE = "btc_dominance"
# BTC dominance on CoinGecko's basis (live /global readings); reads 1-7 points lower than
# TradingView, so the two are never mixed in one comparison.
BTC_DOMINANCE_CG = "btc_dominance_cg"
FEAR_GREED = "fear_greed"


def index_on_or_before(series: Series, day: date) -> int | None:
    """Index of the last point dated on or before `day`, or None if the series starts later."""
    i = bisect.bisect_right(series, day, key=lambda p: p[0]) - 1
    return i if i >= 0 else None


def value_on_or_before(series: Series, day: date) -> Point | None:
    i = index_on_or_before(series, day)
    return series[i] if i is not None else None


def between(series: Series, start: date, end: date) -> Series:
    """Points with start < date <= end."""
    lo = bisect.bisect_right(series, start, key=lambda p: p[0])
    hi = bisect.bisect_right(series, end, key=lambda p: p[0])
    return series[lo:hi]


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later, clamped to the month's last day (Jan 31 + 1 = Feb 28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month, dom)
        except ValueError:
            continue
    raise AssertionError("unreachable")
