"""The signal report: one plain object the CLI, the Discord layer and the digest render.

`build_signal_report` reads the stored series (loading the bundled history into a fresh
database first), computes the breakouts, their crypto aftermath and today's context in a
worker thread, and returns a `SignalReport`. Nothing in it is typed in: every figure is
computed from the data, including the number of completed historical cases.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from bot.config import Settings
from bot.market.aftermath import Aftermath, aftermath
from bot.market.breakout import Breakout, BreakoutRules, SignalState, detect_breakouts, signal_state
from bot.market.context import CryptoContext, crypto_context
from bot.market.series import (
    BTC_DOMINANCE,
    BTC_DOMINANCE_CG,
    ETH_BTC,
    FEAR_GREED,
    RUT,
    Point,
)
from bot.market.signal import ensure_bundled_history, rules_from_settings
from bot.market.store import data_version, latest_point, load_series
from bot.storage import Database


@dataclass(frozen=True)
class SignalReport:
    generated_at: datetime
    rules: BreakoutRules
    state: SignalState | None
    breakouts: tuple[Breakout, ...]  # every breakout since 1987, oldest first
    aftermaths: tuple[Aftermath, ...]  # the breakouts with ETH/BTC data (2015 on)
    context: CryptoContext
    rut: tuple[Point, ...]  # full series, for charts
    eth_btc: tuple[Point, ...]
    # What it was computed from (the stored series' version, the rules): reports with the
    # same key show the same figures, so one chart drawing serves them all.
    key: Hashable = None

    @property
    def completed_cases(self) -> int:
        """Breakouts whose whole 18-month crypto window is in the data: the sample size."""
        return sum(1 for a in self.aftermaths if a.window_complete)

    @property
    def as_of(self) -> date | None:
        return self.state.last_date if self.state else None


def compute_report(
    rut: list[Point],
    eth_btc: list[Point],
    dominance_tv: list[Point],
    dominance_cg: list[Point],
    fear_greed: list[Point],
    rules: BreakoutRules,
    generated_at: datetime,
) -> SignalReport:
    """The pure part of the report (CPU work: run it in a thread from async code)."""
    breakouts = detect_breakouts(rut, rules)
    found = (aftermath(b, eth_btc, dominance_tv) for b in breakouts)
    return SignalReport(
        generated_at=generated_at,
        rules=rules,
        state=signal_state(rut, rules, breakouts),
        breakouts=tuple(breakouts),
        aftermaths=tuple(a for a in found if a is not None),
        context=crypto_context(eth_btc, dominance_tv, dominance_cg, fear_greed),
        rut=tuple(rut),
        eth_btc=tuple(eth_btc),
    )


# The last report per database, reused while the stored data and the rules are unchanged
# (a command then answers in a few milliseconds instead of re-reading 20,000 points).
_cache: weakref.WeakKeyDictionary[Database, tuple[Hashable, SignalReport]] = (
    weakref.WeakKeyDictionary()
)


async def build_signal_report(
    db: Database, settings: Settings, *, now: datetime | None = None
) -> SignalReport:
    now = now or datetime.now(UTC)
    await ensure_bundled_history(db, settings, now=now)
    rules = rules_from_settings(settings)
    key = (await data_version(db), rules)
    cached = _cache.get(db)
    if cached is not None and cached[0] == key:
        return replace(cached[1], generated_at=now)
    rut, eth_btc, dom_tv, dom_cg = [
        await load_series(db, name) for name in (RUT, ETH_BTC, BTC_DOMINANCE, BTC_DOMINANCE_CG)
    ]
    fng_now = await latest_point(db, FEAR_GREED)  # only today's reading is used
    fng = [fng_now] if fng_now else []
    report = await asyncio.to_thread(compute_report, rut, eth_btc, dom_tv, dom_cg, fng, rules, now)
    report = replace(report, key=key)
    _cache[db] = (key, report)
    return report
