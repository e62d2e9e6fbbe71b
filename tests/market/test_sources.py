"""The pure parsers against saved responses of each source's real shape."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.market.sources import (
    SourceError,
    binance_error,
    coingecko_error,
    coingecko_rate_limited,
    fng_error,
    parse_binance_klines,
    parse_coingecko_global,
    parse_fear_greed,
    parse_yahoo_chart,
    yahoo_error,
)

FIXTURES = Path(__file__).parent / "fixtures"
MID_SESSION = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)  # 13:00 in New York
AFTER_CLOSE = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_yahoo_daily_closes_skip_nulls_and_the_open_session() -> None:
    payload = load("yahoo_rut_1mo.json")
    quote = payload["chart"]["result"][0]["indicators"]["quote"][0]["close"]
    points = parse_yahoo_chart(payload, now=MID_SESSION)
    expected = [c for c in quote[:-1] if c is not None]
    assert [v for _d, v in points] == expected
    assert points[0][0] == date(2026, 10, 26)  # stamped 09:30 New York, dated there
    assert points[-1][0] == date(2026, 11, 23)
    assert all(d.weekday() < 5 for d, _v in points)


def test_yahoo_keeps_today_once_the_session_is_over() -> None:
    points = parse_yahoo_chart(load("yahoo_rut_1mo.json"), now=AFTER_CLOSE)
    assert points[-1][0] == date(2026, 11, 24)


def test_yahoo_without_trading_period_uses_new_york_clock() -> None:
    payload = load("yahoo_rut_1mo.json")
    del payload["chart"]["result"][0]["meta"]["currentTradingPeriod"]
    assert parse_yahoo_chart(payload, now=MID_SESSION)[-1][0] == date(2026, 11, 23)
    assert parse_yahoo_chart(payload, now=AFTER_CLOSE)[-1][0] == date(2026, 11, 24)


def test_yahoo_empty_and_errors() -> None:
    assert parse_yahoo_chart(load("yahoo_empty.json"), now=AFTER_CLOSE) == []
    for name in ("yahoo_not_found.json", "yahoo_mismatched.json"):
        with pytest.raises(SourceError):
            parse_yahoo_chart(load(name), now=AFTER_CLOSE)
    payload: Any
    for payload in (None, [], {"chart": []}, {"chart": {"result": [{"indicators": {}}]}}):
        with pytest.raises(SourceError):
            parse_yahoo_chart(payload, now=AFTER_CLOSE)


def test_binance_klines_drop_the_open_candle() -> None:
    rows = load("binance_ethbtc_1d.json")
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    points = parse_binance_klines(rows, now=now)
    assert len(points) == len(rows) - 1
    assert points[0] == (date(2026, 11, 18), float(rows[0][4]))
    assert points[-1][0] == date(2026, 11, 23)
    later = parse_binance_klines(rows, now=datetime(2026, 11, 25, 0, 0, 1, tzinfo=UTC))
    assert later[-1][0] == date(2026, 11, 24)


def test_binance_empty_and_errors() -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    assert parse_binance_klines(load("binance_empty.json"), now=now) == []
    for name in ("binance_invalid_symbol.json", "binance_malformed.json"):
        with pytest.raises(SourceError):
            parse_binance_klines(load(name), now=now)
    with pytest.raises(SourceError):
        parse_binance_klines("nope", now=now)


def test_coingecko_global_dominance() -> None:
    payload = load("coingecko_global.json")
    [(day, value)] = parse_coingecko_global(payload)
    assert value == payload["data"]["market_cap_percentage"]["btc"]
    assert day == datetime.fromtimestamp(payload["data"]["updated_at"], UTC).date()


@pytest.mark.parametrize(
    "payload",
    [
        {"status": {"error_code": 429, "error_message": "rate limit"}},
        {"data": {"market_cap_percentage": {"eth": 11.6}, "updated_at": 1}},
        {"data": {"market_cap_percentage": {"btc": "lots"}, "updated_at": 1}},
        {"data": {"market_cap_percentage": {"btc": 140.0}, "updated_at": 1}},
        [],
    ],
)
def test_coingecko_malformed(payload: Any) -> None:
    with pytest.raises(SourceError):
        parse_coingecko_global(payload)


def test_coingecko_saved_rate_limit_answer_is_an_error() -> None:
    with pytest.raises(SourceError):
        parse_coingecko_global(load("coingecko_rate_limited.json"))


def test_fear_greed_values_by_day() -> None:
    payload = load("fng_limit10.json")
    points = parse_fear_greed(payload)
    assert len(points) == len(payload["data"])
    assert points == sorted(points)
    assert points[-1] == (date(2026, 11, 24), float(payload["data"][0]["value"]))


def test_fear_greed_empty_and_errors() -> None:
    assert parse_fear_greed(load("fng_empty.json")) == []
    for name in ("fng_error.json", "fng_bad_item.json"):
        with pytest.raises(SourceError):
            parse_fear_greed(load(name))
    payload: Any
    for payload in ([], {"name": "x"}, {"data": [{"value": "101", "timestamp": "1"}]}):
        with pytest.raises(SourceError):
            parse_fear_greed(payload)


def test_error_messages_are_the_apis_own() -> None:
    assert yahoo_error(load("yahoo_not_found.json")) == (
        "Not Found: No data found, symbol may be delisted"
    )
    assert binance_error(load("binance_invalid_symbol.json")) == "code -1121: Invalid symbol."
    restricted = binance_error(load("binance_restricted_451.json"))
    assert restricted and restricted.startswith("code 0: Service unavailable from a restricted")
    assert coingecko_error(load("coingecko_rate_limited.json")) == (
        "You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing "
        "to subscribe to our API plans for higher rate limits."
    )
    assert coingecko_error({"error": "coin not found"}) == "coin not found"
    assert fng_error(load("fng_error.json")) == "Invalid limit parameter"
    with pytest.raises(SourceError, match="No data found, symbol may be delisted"):
        parse_yahoo_chart(load("yahoo_not_found.json"), now=AFTER_CLOSE)


@pytest.mark.parametrize(
    "name",
    ["yahoo_rut_1mo.json", "binance_ethbtc_1d.json", "coingecko_global.json", "fng_limit10.json"],
)
def test_good_answers_have_no_error_message(name: str) -> None:
    payload = load(name)
    for extract in (yahoo_error, binance_error, coingecko_error, fng_error):
        assert extract(payload) is None
    assert not coingecko_rate_limited(payload)
    assert yahoo_error(None) is None and binance_error("<html>") is None


def test_coingecko_rate_limit_is_recognised_in_the_body() -> None:
    assert coingecko_rate_limited(load("coingecko_rate_limited.json"))
    assert not coingecko_rate_limited({"status": {"error_code": 10002, "error_message": "x"}})
