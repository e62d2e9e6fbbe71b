"""What crypto did after each Russell 2000 breakout, computed from the stored series.

For every breakout with ETH/BTC data: the ETH/BTC change after 3, 6 and 12 months, the
ETH/BTC peak within 18 months (date and lag), and the BTC dominance low in the same window.
Dominance is only searched where it is comparable (from the first bundled point, 2017-07-14),
and the result says when that cut part of the window. A window that runs past the newest
data is marked incomplete ("so far"); only complete windows count as cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.market.breakout import Breakout
from bot.market.series import Point, Series, add_months, between, value_on_or_before

HORIZON_MONTHS: tuple[int, ...] = (3, 6, 12)
PEAK_WINDOW_MONTHS = 18


@dataclass(frozen=True)
class HorizonChange:
    months: int
    target: date
    change: float | None  # fraction; None when the data does not reach the target yet


@dataclass(frozen=True)
class Aftermath:
    breakout: Breakout
    eth_btc_start: Point
    changes: tuple[HorizonChange, ...]
    window_end: date
    window_complete: bool
    eth_btc_peak: Point | None
    dominance_start: Point | None  # dominance on the breakout day, when comparable data exists
    dominance_low: Point | None
    # Where the dominance search started: later than the breakout when comparable data does.
    dominance_from: date | None
    dominance_last: date | None  # newest dominance reading available

    @property
    def peak_lag_days(self) -> int | None:
        return (self.eth_btc_peak[0] - self.breakout.date).days if self.eth_btc_peak else None

    @property
    def dominance_lag_days(self) -> int | None:
        return (self.dominance_low[0] - self.breakout.date).days if self.dominance_low else None

    @property
    def dominance_complete(self) -> bool:
        return self.dominance_last is not None and self.dominance_last >= self.window_end

    @property
    def dominance_partial(self) -> bool:
        return self.dominance_from is not None and self.dominance_from > self.breakout.date


def aftermath(breakout: Breakout, eth_btc: Series, dominance: Series) -> Aftermath | None:
    """None when there is no ETH/BTC reading on or before the breakout (before 2015)."""
    start = value_on_or_before(eth_btc, breakout.date)
    if start is None or not eth_btc:
        return None
    last_day = eth_btc[-1][0]
    changes = []
    for months in HORIZON_MONTHS:
        target = add_months(breakout.date, months)
        point = value_on_or_before(eth_btc, target) if target <= last_day else None
        changes.append(HorizonChange(months, target, point[1] / start[1] - 1 if point else None))
    window_end = add_months(breakout.date, PEAK_WINDOW_MONTHS)
    window = between(eth_btc, breakout.date, window_end)
    peak = max(window, key=lambda p: p[1]) if window else None

    dom_start = value_on_or_before(dominance, breakout.date)
    dom_from = max(breakout.date, dominance[0][0]) if dominance else None
    dom_window = between(dominance, breakout.date, window_end)
    dom_low = min(dom_window, key=lambda p: p[1]) if dom_window else None
    return Aftermath(
        breakout=breakout,
        eth_btc_start=start,
        changes=tuple(changes),
        window_end=window_end,
        window_complete=window_end <= last_day,
        eth_btc_peak=peak,
        dominance_start=dom_start,
        dominance_low=dom_low,
        dominance_from=dom_from,
        dominance_last=dominance[-1][0] if dominance else None,
    )
