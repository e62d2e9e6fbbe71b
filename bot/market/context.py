"""Today's crypto context and the altseason markers, computed from the stored series.

The three markers (each present, absent, or unknown when its data is missing):
- ETH/BTC rising: the ratio is up at least 10% over 90 days.
- BTC dominance falling: dominance is at least 5 percentage points below its 1-year high.
- Greed: the Fear & Greed index is at 55 or higher (alternative.me's "Greed" band).

Dominance comes in two bases that are never mixed: TradingView (bundled) and CoinGecko (live
`/global` readings). The comparison uses the freshest basis that has at least 180 readings in
the year before its newest one, so a few days of live CoinGecko data never get compared with
a year of TradingView figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.market.series import Point, Series, between, value_on_or_before

ETH_BTC_LOOKBACK_DAYS = 90
ETH_BTC_RISE = 0.10
DOMINANCE_LOOKBACK_DAYS = 365
DOMINANCE_DROP_POINTS = 5.0
DOMINANCE_MIN_READINGS = 180
GREED_THRESHOLD = 55

MARKER_ETH_BTC = "eth_btc_rising"
MARKER_DOMINANCE = "dominance_falling"
MARKER_GREED = "greed"


@dataclass(frozen=True)
class Marker:
    key: str
    present: bool | None  # None: no data to decide
    threshold: float


@dataclass(frozen=True)
class CryptoContext:
    eth_btc: Point | None
    eth_btc_change: float | None  # over ETH_BTC_LOOKBACK_DAYS
    dominance: Point | None
    dominance_basis: str | None  # "tradingview" | "coingecko"
    dominance_high: Point | None  # 1-year high on the same basis
    dominance_gap: float | None  # percentage points below that high (>= 0)
    dominance_live: Point | None  # a newer CoinGecko reading shown but not compared
    fear_greed: Point | None
    markers: tuple[Marker, ...]

    @property
    def present_count(self) -> int:
        return sum(1 for m in self.markers if m.present)

    @property
    def known_count(self) -> int:
        return sum(1 for m in self.markers if m.present is not None)


def fear_greed_band(value: float) -> str:
    """alternative.me's classification of an index value."""
    if value <= 24:
        return "extreme_fear"
    if value <= 46:
        return "fear"
    if value <= 54:
        return "neutral"
    if value <= 75:
        return "greed"
    return "extreme_greed"


def _change(series: Series, days: int) -> float | None:
    if not series:
        return None
    last_day, last = series[-1]
    base = value_on_or_before(series, last_day - timedelta(days=days))
    if base is None or base[0] < last_day - timedelta(days=days + 7):
        return None  # no reading near the start of the window
    return last / base[1] - 1


def _year_window(series: Series) -> Series:
    last_day = series[-1][0]
    return between(series, last_day - timedelta(days=DOMINANCE_LOOKBACK_DAYS), last_day)


def _pick_dominance(tradingview: Series, coingecko: Series) -> tuple[str, Series] | None:
    candidates = [(name, s) for name, s in (("tradingview", tradingview), ("coingecko", coingecko))]
    usable = [(n, s) for n, s in candidates if s and len(_year_window(s)) >= DOMINANCE_MIN_READINGS]
    if not usable:
        usable = [(n, s) for n, s in candidates if s]
    if not usable:
        return None
    return max(usable, key=lambda c: c[1][-1][0])


def crypto_context(
    eth_btc: Series, dominance_tv: Series, dominance_cg: Series, fear_greed: Series
) -> CryptoContext:
    change = _change(eth_btc, ETH_BTC_LOOKBACK_DAYS)

    picked = _pick_dominance(dominance_tv, dominance_cg)
    dominance = high = live = None
    gap: float | None = None
    basis = None
    if picked is not None:
        basis, series = picked
        dominance = series[-1]
        window = _year_window(series)
        if len(window) >= DOMINANCE_MIN_READINGS:
            high = max(window, key=lambda p: p[1])
            gap = high[1] - dominance[1]
        if basis == "tradingview" and dominance_cg and dominance_cg[-1][0] > dominance[0]:
            live = dominance_cg[-1]

    fng = fear_greed[-1] if fear_greed else None
    markers = (
        Marker(MARKER_ETH_BTC, None if change is None else change >= ETH_BTC_RISE, ETH_BTC_RISE),
        Marker(
            MARKER_DOMINANCE,
            None if gap is None else gap >= DOMINANCE_DROP_POINTS,
            DOMINANCE_DROP_POINTS,
        ),
        Marker(MARKER_GREED, None if fng is None else fng[1] >= GREED_THRESHOLD, GREED_THRESHOLD),
    )
    return CryptoContext(
        eth_btc=eth_btc[-1] if eth_btc else None,
        eth_btc_change=change,
        dominance=dominance,
        dominance_basis=basis,
        dominance_high=high,
        dominance_gap=gap,
        dominance_live=live,
        fear_greed=fng,
        markers=markers,
    )


def is_stale(point: Point | None, today: date, max_age_days: int = 7) -> bool:
    return point is not None and (today - point[0]).days > max_age_days
