"""The live refresh against a real HTTP server on 127.0.0.1, with faults."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiohttp import web

from bot.config import Settings, load_settings
from bot.market.bundle import read_bundled
from bot.market.events import list_signal_events
from bot.market.refresh import MarketRefresher, SourceResult, yahoo_range
from bot.market.series import BTC_DOMINANCE_CG, ETH_BTC, FEAR_GREED, RUT
from bot.market.store import load_series
from bot.market.tables import market_series
from bot.storage import Database
from bot.utils.http.client import make_http_client
from tests.harness import serve_app

FIXTURES = Path(__file__).parent / "fixtures"
AFTER_CLOSE = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeMarkets:
    base: str = ""
    replies: dict[str, Reply] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)

    def count(self, name: str) -> int:
        return sum(1 for n, _q, _h in self.requests if n == name)


def fixture_reply(name: str, status: int = 200, **headers: str) -> Reply:
    return Reply(status, (FIXTURES / name).read_bytes(), headers)


@pytest.fixture
async def markets() -> AsyncIterator[FakeMarkets]:
    fake = FakeMarkets(
        replies={
            "yahoo": fixture_reply("yahoo_rut_1mo.json"),
            "binance": fixture_reply("binance_ethbtc_1d.json"),
            "binance-data-api": fixture_reply("binance_ethbtc_1d.json"),
            "coingecko": fixture_reply("coingecko_global.json"),
            "fng": fixture_reply("fng_limit10.json"),
        }
    )

    async def handle(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        fake.requests.append((name, dict(request.query), dict(request.headers)))
        reply = fake.replies[name]
        return web.Response(status=reply.status, body=reply.body, headers=reply.headers)

    app = web.Application()
    app.router.add_get("/{name}", handle)
    async with serve_app(app) as base:
        fake.base = base
        yield fake


def market_settings(tmp_path: Path, markets: FakeMarkets, **extra: Any) -> Settings:
    urls = {
        "market_yahoo_url": f"{markets.base}/yahoo",
        "market_binance_url": f"{markets.base}/binance",
        "market_binance_fallback_url": f"{markets.base}/binance-data-api",
        "market_coingecko_url": f"{markets.base}/coingecko",
        "market_fng_url": f"{markets.base}/fng",
    }
    return load_settings(data_dir=tmp_path / "data", **(urls | extra))


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    client = make_http_client(settings)
    try:
        yield client
    finally:
        await client.aclose()


async def snapshot(db: Database) -> dict[str, list[tuple[date, float]]]:
    return {name: await load_series(db, name) for name in (RUT, ETH_BTC, FEAR_GREED)}


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


RESTRICTED = (
    "HTTP 451: code 0: Service unavailable from a restricted location according to "
    "'b. Eligibility' in https://www.binance.com/en/terms."
)


async def stored_source(db: Database, series: str, day: date) -> str:
    query = sa.select(market_series.c.source).where(
        market_series.c.series == series, market_series.c.day == day
    )
    async with db.connection() as conn:
        return str((await conn.execute(query)).scalar_one())


@pytest.mark.parametrize(
    ("name", "reply", "error"),
    [
        (
            "yahoo",
            fixture_reply("yahoo_not_found.json", 404),
            "HTTP 404: Not Found: No data found, symbol may be delisted",
        ),
        (
            "binance",
            fixture_reply("binance_invalid_symbol.json", 400),
            "HTTP 400: code -1121: Invalid symbol.",
        ),
        ("fng", fixture_reply("fng_error.json"), "Invalid limit parameter"),
    ],
)
async def test_failures_carry_the_apis_own_message(
    db: Database,
    http: httpx.AsyncClient,
    markets: FakeMarkets,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    name: str,
    reply: Reply,
    error: str,
) -> None:
    markets.replies[name] = reply
    with caplog.at_level(logging.WARNING, logger="bot.market.refresh"):
        results = await MarketRefresher(db, http, market_settings(tmp_path, markets)).refresh(
            now=AFTER_CLOSE
        )
    [failed] = [r for r in results if not r.ok]
    assert failed.error == error
    assert error in caplog.text
    assert markets.base not in caplog.text  # no URLs (a key could be in one), no headers


@pytest.mark.parametrize(
    "refusal",
    [
        fixture_reply("binance_restricted_451.json", 451),
        fixture_reply("binance_cloudfront_403.html", 403, **{"Content-Type": "text/html"}),
    ],
)
async def test_binance_region_block_falls_back_to_the_market_data_host(
    db: Database, http: httpx.AsyncClient, markets: FakeMarkets, tmp_path: Path, refusal: Reply
) -> None:
    markets.replies["binance"] = refusal
    settings = market_settings(tmp_path, markets)
    results = {
        r.series: r for r in await MarketRefresher(db, http, settings).refresh(now=AFTER_CLOSE)
    }
    eth = results[ETH_BTC]
    assert eth.ok and eth.points == 6 and eth.source == "binance-data-api"
    assert (await load_series(db, ETH_BTC))[-1][0] == date(2026, 11, 23)
    assert await stored_source(db, ETH_BTC, date(2026, 11, 23)) == "binance-data-api"
    [(_, primary, _h)] = [r for r in markets.requests if r[0] == "binance"]
    [(_, fallback, _h)] = [r for r in markets.requests if r[0] == "binance-data-api"]
    assert fallback == primary  # the same API: same symbol, interval and limit


async def test_binance_region_block_without_fallback(
    db: Database,
    http: httpx.AsyncClient,
    markets: FakeMarkets,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    markets.replies["binance"] = fixture_reply("binance_restricted_451.json", 451)
    settings = market_settings(tmp_path, markets, market_binance_fallback_url="")
    refresher = MarketRefresher(db, http, settings)
    with caplog.at_level(logging.WARNING, logger="bot.market.refresh"):
        results = {r.series: r for r in await refresher.refresh(now=AFTER_CLOSE)}
    eth = results[ETH_BTC]
    assert eth.source == "binance" and eth.error and eth.error.startswith(RESTRICTED)
    assert len(eth.error) <= len("HTTP 451: ") + 200  # the API's message is clipped
    assert RESTRICTED in caplog.text
    assert markets.count("binance-data-api") == 0
    assert await load_series(db, ETH_BTC) == list(read_bundled(ETH_BTC))
    later = {r.series: r for r in await refresher.refresh(now=AFTER_CLOSE + timedelta(minutes=5))}
    assert later[ETH_BTC].skipped_until == AFTER_CLOSE + timedelta(minutes=15)


async def test_binance_fallback_failing_too_reports_both(
    db: Database, http: httpx.AsyncClient, markets: FakeMarkets, tmp_path: Path
) -> None:
    markets.replies["binance"] = fixture_reply("binance_restricted_451.json", 451)
    markets.replies["binance-data-api"] = fixture_reply("binance_invalid_symbol.json", 400)
    settings = market_settings(tmp_path, markets)
    results = {
        r.series: r for r in await MarketRefresher(db, http, settings).refresh(now=AFTER_CLOSE)
    }
    eth = results[ETH_BTC]
    assert eth.source == "binance-data-api" and eth.error
    assert eth.error.startswith(f"binance {RESTRICTED}")
    assert eth.error.endswith("; binance-data-api: HTTP 400: code -1121: Invalid symbol.")


@pytest.mark.parametrize(
    "reply",
    [
        fixture_reply("coingecko_rate_limited.json"),  # 200 with the limit in the body
        fixture_reply("coingecko_rate_limited.json", 429),
    ],
)
async def test_coingecko_rate_limit_in_any_status_backs_off_an_hour(
    db: Database, http: httpx.AsyncClient, markets: FakeMarkets, tmp_path: Path, reply: Reply
) -> None:
    markets.replies["coingecko"] = reply
    refresher = MarketRefresher(db, http, market_settings(tmp_path, markets))
    first = {r.source: r for r in await refresher.refresh(now=AFTER_CLOSE)}
    assert first["coingecko"].error == (
        "rate limited: You've exceeded the Rate Limit. Please visit "
        "https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher "
        "rate limits."
    )
    soon = {r.source: r for r in await refresher.refresh(now=AFTER_CLOSE + timedelta(minutes=30))}
    assert soon["coingecko"].skipped_until == AFTER_CLOSE + timedelta(hours=1)
    assert len(await load_series(db, BTC_DOMINANCE_CG)) == 0


async def test_market_answers_are_capped_at_2_mb(
    db: Database, http: httpx.AsyncClient, markets: FakeMarkets, tmp_path: Path
) -> None:
    markets.replies["fng"] = Reply(200, b'{"data": [' + b" " * 2_000_000 + b"]}")
    results = await MarketRefresher(db, http, market_settings(tmp_path, markets)).refresh(
        now=AFTER_CLOSE
    )
    [failed] = [r for r in results if not r.ok]
    assert failed.source == "alternative.me"
    assert failed.error == "response larger than 2000000 bytes"


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
