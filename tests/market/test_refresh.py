"""The live refresh against a real HTTP server on 127.0.0.1, with faults."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from bot.market.bundle import read_bundled
from bot.market.events import list_signal_events
from bot.market.refresh import MarketRefresher, SourceResult, yahoo_range
from bot.market.series import BTC_DOMINANCE_CG, ETH_BTC, FEAR_GREED, RUT
from bot.market.store import load_series
from bot.storage import Database
from tests.market.fakes import (
    AFTER_CLOSE,
    FIXTURES,
    FakeMarkets,
    Reply,
    fixture_reply,
    market_settings,
    snapshot,
)


async def test_refresh_merges_every_source(
    db: Database, http: httpx.AsyncClient, markets: FakeMarkets, tmp_path: Path
) -> None:
    settings = market_settings(tmp_path, markets)
    results = await MarketRefresher(db, http, settings).refresh(now=AFTER_CLOSE)
    assert all(r.ok for r in results), results

    rut = await load_series(db, RUT)
    bundled = read_bundled(RUT)
    assert rut[: len(bundled)] == list(bundled)  # history kept
    yahoo = json.loads((FIXTURES / "yahoo_rut_1mo.json").read_text())
    closes = yahoo["chart"]["result"][0]["indicators"]["quote"][0]["close"]
    assert [v for _d, v in rut[len(bundled) :]] == [c for c in closes if c is not None]
    assert (await load_series(db, ETH_BTC))[-1][0] == date(2026, 11, 23)  # 24th still open
    assert len(await load_series(db, BTC_DOMINANCE_CG)) == 1
    assert (await load_series(db, FEAR_GREED))[-1][0] == date(2026, 11, 24)

    # Yahoo gets a browser-like UA and a range that covers the gap since 2026-08-21.
    [(_, query, headers)] = [r for r in markets.requests if r[0] == "yahoo"]
    assert headers["User-Agent"] == settings.market_browser_user_agent
    assert query == {
        "range": yahoo_range((AFTER_CLOSE.date() - bundled[-1][0]).days),
        "interval": "1d",
    }
    [(_, query, headers)] = [r for r in markets.requests if r[0] == "binance"]
    assert headers["User-Agent"] == settings.http_user_agent
    assert query["symbol"] == "ETHBTC"


async def test_faults_keep_stored_data_and_back_off(
    db: Database, http: httpx.AsyncClient, markets: FakeMarkets, tmp_path: Path
) -> None:
    settings = market_settings(tmp_path, markets, http_max_bytes=10_000)
    refresher = MarketRefresher(db, http, settings)
    await refresher.refresh(now=AFTER_CLOSE - timedelta(days=1))  # nothing fails yet
    before = await snapshot(db)

    markets.replies["yahoo"] = Reply(429, b"Too Many Requests", {"Retry-After": "120"})
    markets.replies["binance"] = Reply(500, b'{"code":-1000,"msg":"An unknown error occurred"}')
    markets.replies["coingecko"] = fixture_reply("garbage.html")
    markets.replies["fng"] = Reply(200, b'{"data": [' + b" " * 20_000 + b"]}")
    results = {r.source: r for r in await refresher.refresh(now=AFTER_CLOSE)}
    assert all(r.error for r in results.values()), results
    assert await snapshot(db) == before
    assert len(await load_series(db, BTC_DOMINANCE_CG)) == 1

    # Within the backoff nothing is requested again; Yahoo honours Retry-After.
    counts = {name: markets.count(name) for name in ("yahoo", "binance", "coingecko", "fng")}
    soon = {r.source: r for r in await refresher.refresh(now=AFTER_CLOSE + timedelta(seconds=60))}
    assert all(r.skipped_until for r in soon.values())
    assert {name: markets.count(name) for name in counts} == counts

    markets.replies["yahoo"] = fixture_reply("yahoo_rut_1mo.json")
    later = {r.source: r for r in await refresher.refresh(now=AFTER_CLOSE + timedelta(seconds=121))}
    assert later["yahoo"].ok
    assert later["binance"].skipped_until  # its 15-minute backoff is still running


async def test_rate_limit_without_retry_after_doubles(
    db: Database, http: httpx.AsyncClient, markets: FakeMarkets, tmp_path: Path
) -> None:
    settings = market_settings(tmp_path, markets)
    refresher = MarketRefresher(db, http, settings)
    markets.replies["yahoo"] = Reply(429, b"")
    first = {r.source: r for r in await refresher.refresh(now=AFTER_CLOSE)}
    assert first["yahoo"].error
    t2 = AFTER_CLOSE + timedelta(hours=1, seconds=1)
    second = {r.source: r for r in await refresher.refresh(now=t2)}
    assert second["yahoo"].error  # retried after an hour, limited again
    wait = {r.source: r for r in await refresher.refresh(now=t2 + timedelta(hours=1, seconds=1))}
    assert wait["yahoo"].skipped_until == t2 + timedelta(hours=2)


def yahoo_payload(points: list[tuple[date, float]]) -> bytes:
    """The saved Yahoo response with other days and closes (same shape and meta)."""
    payload = json.loads((FIXTURES / "yahoo_rut_1mo.json").read_text())
    result = payload["chart"]["result"][0]
    del result["meta"]["currentTradingPeriod"]
    result["timestamp"] = [
        int(datetime(d.year, d.month, d.day, 14, 30, tzinfo=UTC).timestamp()) for d, _ in points
    ]
    result["indicators"]["quote"][0] = {"close": [v for _d, v in points]}
    return json.dumps(payload).encode()


async def test_a_new_breakout_is_emitted_once_and_history_never(
    db: Database, http: httpx.AsyncClient, markets: FakeMarkets, tmp_path: Path
) -> None:
    settings = market_settings(tmp_path, markets, breakout_min_sessions=20)
    bundled = read_bundled(RUT)
    record = max(v for _d, v in bundled)
    record_day = max(bundled, key=lambda p: p[1])[0]
    # 25 sessions below the record after the bundled data, then a close above it.
    days: list[date] = []
    day = bundled[-1][0]
    while len(days) < 26:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    closes = [record * 0.95] * 25 + [record * 1.01]
    markets.replies["yahoo"] = Reply(body=yahoo_payload(list(zip(days, closes, strict=True))))
    now = datetime(days[-1].year, days[-1].month, days[-1].day, 23, tzinfo=UTC)

    refresher = MarketRefresher(db, http, settings)
    await refresher.refresh(now=now)
    alerts = await list_signal_events(db)
    assert [(e.kind, e.day, e.key) for e in alerts] == [
        ("breakout", days[-1], f"rut:breakout:{record_day.isoformat()}")
    ]
    assert alerts[0].payload["old_record"] == record
    history = await list_signal_events(db, include_backfill=True)
    assert len(history) > 1 and all(e.is_backfill for e in history if e.day < days[0])

    await refresher.refresh(now=now + timedelta(hours=6))
    assert await list_signal_events(db) == alerts


async def test_an_old_breakout_found_late_is_backfill(
    db: Database, http: httpx.AsyncClient, markets: FakeMarkets, tmp_path: Path
) -> None:
    settings = market_settings(tmp_path, markets, breakout_min_sessions=20)
    bundled = read_bundled(RUT)
    record = max(v for _d, v in bundled)
    days = [bundled[-1][0] + timedelta(days=i) for i in range(1, 40) if i % 7 not in (1, 2)]
    closes = [record * 0.9] * 22 + [record * 1.02] * (len(days) - 22)
    markets.replies["yahoo"] = Reply(body=yahoo_payload(list(zip(days, closes, strict=True))))
    # The bot was offline: it learns of the breakout 30 days after it happened.
    now = datetime(2026, 12, 31, 23, tzinfo=UTC)
    await MarketRefresher(db, http, settings).refresh(now=now)
    assert await list_signal_events(db) == []
    assert any(e.day == days[22] for e in await list_signal_events(db, include_backfill=True))


async def test_refresh_loop_runs_until_stopped(
    db: Database, http: httpx.AsyncClient, markets: FakeMarkets, tmp_path: Path
) -> None:
    import asyncio

    from bot.market.refresh import market_refresh_loop

    settings = market_settings(tmp_path, markets)
    stop, done = asyncio.Event(), asyncio.Event()

    class Signalling(MarketRefresher):
        async def refresh(self, *, now: datetime | None = None) -> list[SourceResult]:
            results = await super().refresh(now=now)
            done.set()
            return results

    refresher = Signalling(db, http, settings)
    task = asyncio.create_task(
        market_refresh_loop(db, http, settings, stop=stop, refresher=refresher)
    )
    await asyncio.wait_for(done.wait(), timeout=30)
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    assert {n for n, _q, _h in markets.requests} == {"yahoo", "binance", "coingecko", "fng"}
    assert len(await load_series(db, BTC_DOMINANCE_CG)) == 1
