"""Live refresh of the market series from key-less public APIs, and the timer loop.

Each source is fetched with the process's shared `httpx.AsyncClient`, parsed by a pure
function (sources.py) and merged into the stored series. A source that fails keeps what is
stored (reports then say "as of" the last stored day) and backs off: rate limits (a 429, or
CoinGecko's in a 200 body) honour Retry-After or wait an hour, doubling up to a day; other
failures wait 15 minutes, doubling. Error bodies are read (capped) so the API's own message
reaches the log and the result. Binance refuses some regions (451, or 403 from its CDN): the
klines are then fetched from its market-data host (MARKET_BINANCE_FALLBACK_URL).

A refresh that stored points bumps the data version (bot/storage/dataversion.py): every
process serving /signal drops its cached report at once, wherever the refresh ran.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from bot.config import Settings
from bot.market.series import BTC_DOMINANCE_CG, ETH_BTC, FEAR_GREED, RUT, Point
from bot.market.signal import emit_signal_events, ensure_bundled_history
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
from bot.market.store import latest_days, upsert_points
from bot.storage import Database
from bot.storage.dataversion import bump_data_version
from bot.utils.backoff import exponential_backoff
from bot.utils.http.body import accept_encoding, read_body
from bot.utils.http.errors import BodyTooLarge, FetchRefused
from bot.utils.http.headers import parse_retry_after

log = logging.getLogger(__name__)

RATE_LIMIT_BACKOFF = timedelta(hours=1)
ERROR_BACKOFF = timedelta(minutes=15)
MAX_BACKOFF = timedelta(days=1)
MAX_BYTES = 2_000_000  # market answers are small (10 years of Yahoo dailies: a few 100 kB)
MAX_MESSAGE = 200  # characters of an API's error message kept in logs and results
REGION_BLOCKED = frozenset({403, 451})
# Yahoo's `range` values, by how many days of history are missing.
_YAHOO_RANGES = ((25, "1mo"), (85, "3mo"), (175, "6mo"), (360, "1y"), (720, "2y"), (1800, "5y"))


class RateLimited(Exception):
    def __init__(self, retry_after: float | None, message: str | None = None) -> None:
        super().__init__(f"rate limited: {message}" if message else "429 Too Many Requests")
        self.retry_after = retry_after


class HttpStatusError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


@dataclass(frozen=True)
class Request:
    url: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass(frozen=True)
class Source:
    name: str
    series: str
    request: Callable[[Settings, int], Request]  # (settings, days missing) -> request
    parse: Callable[[Any, datetime], list[Point]]
    error: Callable[[Any], str | None]  # the API's own message in an error body
    rate_limited: Callable[[Any], bool] = lambda payload: False  # a limit in a 200 body
    # Another host with the same API, tried when this one refuses our region: (name, url).
    fallback: Callable[[Settings], tuple[str, str]] | None = None


@dataclass(frozen=True)
class SourceResult:
    source: str
    series: str
    points: int = 0
    error: str | None = None
    skipped_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.skipped_until is None


@dataclass
class _Backoff:
    failures: int = 0
    until: datetime | None = None


def yahoo_range(days_missing: int) -> str:
    for limit, name in _YAHOO_RANGES:
        if days_missing <= limit:
            return name
    return "10y"


def _yahoo(settings: Settings, missing: int) -> Request:
    return Request(
        settings.market_yahoo_url,
        {"range": yahoo_range(missing), "interval": "1d"},
        {"User-Agent": settings.market_browser_user_agent, "Accept": "application/json"},
    )


def _binance(settings: Settings, missing: int) -> Request:
    limit = min(max(missing + 2, 2), 1000)
    return Request(
        settings.market_binance_url, {"symbol": "ETHBTC", "interval": "1d", "limit": str(limit)}, {}
    )


def _coingecko(settings: Settings, missing: int) -> Request:
    return Request(settings.market_coingecko_url, {}, {"Accept": "application/json"})


def _fng(settings: Settings, missing: int) -> Request:
    return Request(settings.market_fng_url, {"limit": str(min(max(missing + 2, 2), 3000))}, {})


SOURCES: tuple[Source, ...] = (
    Source("yahoo", RUT, _yahoo, lambda p, now: parse_yahoo_chart(p, now=now), yahoo_error),
    Source(
        "binance",
        ETH_BTC,
        _binance,
        lambda p, now: parse_binance_klines(p, now=now),
        binance_error,
        fallback=lambda s: ("binance-data-api", s.market_binance_fallback_url),
    ),
    Source(
        "coingecko",
        BTC_DOMINANCE_CG,
        _coingecko,
        lambda p, now: parse_coingecko_global(p),
        coingecko_error,
        rate_limited=coingecko_rate_limited,
    ),
    Source("alternative.me", FEAR_GREED, _fng, lambda p, now: parse_fear_greed(p), fng_error),
)


def _clip(message: str | None) -> str | None:
    if message and len(message) > MAX_MESSAGE:
        return message[: MAX_MESSAGE - 1] + "…"
    return message


async def fetch_json(
    http: httpx.AsyncClient, request: Request, source: Source, max_bytes: int
) -> Any:
    """GET and decode JSON. The body is read (at most `max_bytes`) whatever the status, so a
    failure carries the API's own message: a 429 or a rate limit in the body raises
    RateLimited, another non-2xx HttpStatusError, an error in a 200 body SourceError."""
    headers = {"Accept-Encoding": accept_encoding(), **request.headers}
    async with http.stream("GET", request.url, params=request.params, headers=headers) as response:
        try:
            body = await read_body(response, max_bytes=max_bytes)
        except BodyTooLarge:
            raise SourceError(f"response larger than {max_bytes} bytes") from None
        except FetchRefused as exc:  # an encoding we do not decode
            raise SourceError(f"response refused: {exc.reason}") from None
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    message = _clip(source.error(payload))
    if response.status_code == 429 or source.rate_limited(payload):
        raise RateLimited(
            parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC)), message
        )
    if not response.is_success:
        raise HttpStatusError(response.status_code, message or response.reason_phrase)
    if message:
        raise SourceError(message)
    if payload is None:
        raise SourceError("response is not JSON")
    return payload


class MarketRefresher:
    """Refreshes every source once per call, remembering per-source backoff between calls."""

    def __init__(self, db: Database, http: httpx.AsyncClient, settings: Settings) -> None:
        self.db = db
        self.http = http
        self.settings = settings
        self._backoff: dict[str, _Backoff] = {}

    def _fail(self, name: str, now: datetime, exc: Exception) -> None:
        state = self._backoff.setdefault(name, _Backoff())
        state.failures += 1
        told = exc.retry_after if isinstance(exc, RateLimited) else None
        if told is not None:  # the API said when: believe it
            seconds = min(told, MAX_BACKOFF.total_seconds())
        else:
            base = RATE_LIMIT_BACKOFF if isinstance(exc, RateLimited) else ERROR_BACKOFF
            seconds = exponential_backoff(
                state.failures, base=base.total_seconds(), cap=MAX_BACKOFF.total_seconds()
            )
        state.until = now + timedelta(seconds=seconds)

    async def refresh(self, *, now: datetime | None = None) -> list[SourceResult]:
        now = now or datetime.now(UTC)
        await ensure_bundled_history(self.db, self.settings, now=now)
        as_of = await latest_days(self.db)
        results = await asyncio.gather(
            *(self._refresh_source(s, as_of.get(s.series), now) for s in SOURCES)
        )
        if any(r.series == RUT and r.ok and r.points for r in results):
            await emit_signal_events(self.db, self.settings, live=True, now=now)
        if any(r.points for r in results):
            await bump_data_version(self.db)  # readers in every process (bot/runtime/dataversion)
        return list(results)

    async def _refresh_source(
        self, source: Source, last: date | None, now: datetime
    ) -> SourceResult:
        state = self._backoff.get(source.name)
        if state and state.until and now < state.until:
            return SourceResult(source.name, source.series, skipped_until=state.until)
        missing = (now.date() - last).days if last else 3650
        request = source.request(self.settings, missing)
        name, refused = source.name, ""
        max_bytes = min(self.settings.http_max_bytes, MAX_BYTES)
        try:
            try:
                payload = await fetch_json(self.http, request, source, max_bytes)
            except HttpStatusError as exc:
                fallback, url = source.fallback(self.settings) if source.fallback else ("", "")
                if exc.status not in REGION_BLOCKED or not url:
                    raise
                log.warning("market source %s refused us (%s); trying %s", name, exc, fallback)
                name, refused = fallback, f"{name} {exc}; {fallback}: "
                payload = await fetch_json(self.http, replace(request, url=url), source, max_bytes)
            points = await asyncio.to_thread(source.parse, payload, now)
        except (httpx.HTTPError, SourceError, RateLimited, HttpStatusError) as exc:
            self._fail(source.name, now, exc)
            error = refused + (str(exc) or type(exc).__name__)
            log.warning("market refresh from %s failed: %s", name, error)
            return SourceResult(name, source.series, error=error)
        self._backoff.pop(source.name, None)
        stored = await upsert_points(self.db, source.series, points, name, now=now)
        log.info("market refresh from %s: %d points", name, stored)
        return SourceResult(name, source.series, points=stored)


async def refresh_market(
    db: Database, http: httpx.AsyncClient, settings: Settings, *, now: datetime | None = None
) -> list[SourceResult]:
    """One refresh of every source (no backoff memory across calls)."""
    return await MarketRefresher(db, http, settings).refresh(now=now)


async def market_refresh_loop(
    db: Database,
    http: httpx.AsyncClient,
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    refresher: MarketRefresher | None = None,
) -> None:
    """Refresh now and then every MARKET_REFRESH_INTERVAL seconds until `stop` is set (or
    the task is cancelled). Start it from setup_hook/cog_load, cancel it in close()."""
    stop = stop or asyncio.Event()
    refresher = refresher or MarketRefresher(db, http, settings)
    while not stop.is_set():
        try:
            await refresher.refresh()
        except asyncio.CancelledError:
            raise
        except Exception:  # a bad tick must not end the loop
            log.exception("market refresh failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.market_refresh_interval)
