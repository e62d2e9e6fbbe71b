"""Pure parsers for the live market sources; each takes decoded JSON and returns points.

Malformed payloads raise `SourceError`; a well-formed answer with no data returns [].
The `*_error` functions pull the API's own message out of an error body (any HTTP status).
Points for a day that is not over yet (today's Russell 2000 session, today's Binance
candle) are left out, so a stored close is always a final close.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.market.series import Point

# Yahoo stamps daily candles at the session open; the close is final some minutes after 16:00.
_NEW_YORK = "America/New_York"
_SESSION_FINAL = (16, 15)


class SourceError(ValueError):
    """A response that does not have the shape the source documents."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _get(payload: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(key)
    return payload


def _text(*parts: Any) -> str | None:
    """The non-empty parts joined by ": ", whitespace collapsed; None when there are none."""
    text = ": ".join(" ".join(str(p).split()) for p in parts if p not in (None, ""))
    return text or None


def yahoo_error(payload: Any) -> str | None:
    """`chart.error`: {"code": "Not Found", "description": "No data found, ..."}."""
    error = _get(payload, "chart", "error")
    if isinstance(error, dict):
        return _text(error.get("code"), error.get("description"))
    return _text(error) if error else None


def binance_error(payload: Any) -> str | None:
    """{"code": -1121, "msg": "Invalid symbol."}."""
    if not isinstance(payload, dict) or ("msg" not in payload and "code" not in payload):
        return None
    code = payload.get("code")
    return _text(None if code is None else f"code {code}", payload.get("msg"))


def coingecko_error(payload: Any) -> str | None:
    """{"status": {"error_code": 429, "error_message": "..."}} or {"error": "..."}."""
    return _text(_get(payload, "status", "error_message") or _get(payload, "error"))


def coingecko_rate_limited(payload: Any) -> bool:
    """CoinGecko may report its rate limit inside a 200 body."""
    return _get(payload, "status", "error_code") == 429


def fng_error(payload: Any) -> str | None:
    """{"metadata": {"error": "..."}} (alternative.me)."""
    return _text(_get(payload, "metadata", "error"))


def _exchange_tz(meta: dict[str, Any]) -> tzinfo:
    name = meta.get("exchangeTimezoneName")
    if isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    offset = meta.get("gmtoffset")
    if isinstance(offset, int):
        return timezone(timedelta(seconds=offset))
    return ZoneInfo(_NEW_YORK)


def _session_open(meta: dict[str, Any], tz: tzinfo, now: datetime) -> date | None:
    """The exchange day whose session is not final yet at `now`, if any."""
    regular = (meta.get("currentTradingPeriod") or {}).get("regular") or {}
    start, end = regular.get("start"), regular.get("end")
    if isinstance(start, int) and isinstance(end, int):
        if now.timestamp() < end + 15 * 60:
            return datetime.fromtimestamp(start, tz).date()
        return None
    local = now.astimezone(tz)
    return local.date() if (local.hour, local.minute) < _SESSION_FINAL else None


def parse_yahoo_chart(payload: Any, *, now: datetime) -> list[Point]:
    """Daily closes from Yahoo's v8 chart API (`chart.result[0]`); nulls are skipped."""
    try:
        chart = payload["chart"]
    except (KeyError, TypeError) as exc:
        raise SourceError("no 'chart' object") from exc
    if not isinstance(chart, dict):
        raise SourceError("'chart' is not an object")
    if chart.get("error"):
        raise SourceError(f"yahoo error: {yahoo_error(payload)}")
    results = chart.get("result")
    if not results:
        return []
    if not isinstance(results, list) or not isinstance(results[0], dict):
        raise SourceError("'chart.result' is not a list of objects")
    result = results[0]
    meta = result.get("meta") or {}
    stamps = result.get("timestamp") or []
    try:
        closes = result["indicators"]["quote"][0].get("close") or []
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise SourceError("no 'indicators.quote[0]'") from exc
    if not isinstance(stamps, list) or not isinstance(closes, list):
        raise SourceError("timestamps or closes are not lists")
    if len(stamps) != len(closes):
        raise SourceError(f"{len(stamps)} timestamps but {len(closes)} closes")
    tz = _exchange_tz(meta if isinstance(meta, dict) else {})
    unfinished = _session_open(meta if isinstance(meta, dict) else {}, tz, now)
    points: dict[date, float] = {}
    for stamp, close in zip(stamps, closes, strict=True):
        value = _number(close)
        if value is None or not isinstance(stamp, int | float):
            continue
        day = datetime.fromtimestamp(stamp, tz).date()
        if day == unfinished or day > now.astimezone(tz).date():
            continue
        points[day] = value
    return sorted(points.items())


def parse_binance_klines(payload: Any, *, now: datetime) -> list[Point]:
    """Daily closes from Binance `/api/v3/klines` rows: [openTime, open, high, low, close,
    volume, closeTime, ...] with prices as strings; the candle still open is dropped."""
    if isinstance(payload, dict):
        raise SourceError(f"binance error: {binance_error(payload)}")
    if not isinstance(payload, list):
        raise SourceError("klines are not a list")
    points: dict[date, float] = {}
    for row in payload:
        if not isinstance(row, list) or len(row) < 7:
            raise SourceError("a kline is not a list of at least 7 fields")
        open_ms, close_ms, value = row[0], row[6], _number(row[4])
        if not isinstance(open_ms, int) or not isinstance(close_ms, int):
            raise SourceError("kline times are not integers")
        if value is None or close_ms >= now.timestamp() * 1000:
            continue
        points[datetime.fromtimestamp(open_ms / 1000, UTC).date()] = value
    return sorted(points.items())


def parse_coingecko_global(payload: Any) -> list[Point]:
    """Today's BTC dominance (percent) from CoinGecko `/api/v3/global`."""
    if message := coingecko_error(payload):
        raise SourceError(f"coingecko error: {message}")
    try:
        data = payload["data"]
        share = data["market_cap_percentage"]["btc"]
        updated = data["updated_at"]
    except (KeyError, TypeError) as exc:
        raise SourceError("no data.market_cap_percentage.btc / data.updated_at") from exc
    value = _number(share)
    if value is None or value > 100 or not isinstance(updated, int | float):
        raise SourceError(f"implausible dominance {share!r} or timestamp {updated!r}")
    return [(datetime.fromtimestamp(updated, UTC).date(), value)]


def parse_fear_greed(payload: Any) -> list[Point]:
    """Daily index values from alternative.me `/fng/` (`data[].value`, `data[].timestamp`
    as strings of unix seconds)."""
    if not isinstance(payload, dict):
        raise SourceError("response is not an object")
    if error := fng_error(payload):
        raise SourceError(f"alternative.me error: {error}")
    data = payload.get("data")
    if data is None:
        raise SourceError("no 'data' list")
    if not isinstance(data, list):
        raise SourceError("'data' is not a list")
    points: dict[date, float] = {}
    for item in data:
        if not isinstance(item, dict):
            raise SourceError("a data item is not an object")
        try:
            value = float(item["value"])
            stamp = int(item["timestamp"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError("a data item lacks a numeric value or timestamp") from exc
        if not 0 <= value <= 100:
            raise SourceError(f"index value {value} outside 0-100")
        points[datetime.fromtimestamp(stamp, UTC).date()] = value
    return sorted(points.items())
