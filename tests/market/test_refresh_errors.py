"""The refresh reports each API's own error message, survives Binance's region block and
recognises a CoinGecko rate limit in any status."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bot.market.bundle import read_bundled
from bot.market.refresh import MarketRefresher
from bot.market.series import BTC_DOMINANCE_CG, ETH_BTC
from bot.market.store import load_series
from bot.market.tables import market_series
from bot.storage import Database
from tests.market.fakes import (
    AFTER_CLOSE,
    FakeMarkets,
    Reply,
    fixture_reply,
    market_settings,
)

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
