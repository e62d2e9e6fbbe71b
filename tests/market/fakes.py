"""Market APIs on 127.0.0.1: one route per source, with replies a test can change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config import Settings, load_settings
from bot.market.series import ETH_BTC, FEAR_GREED, RUT
from bot.market.store import load_series
from bot.storage import Database
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


@asynccontextmanager
async def serve_markets() -> AsyncIterator[FakeMarkets]:
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


async def snapshot(db: Database) -> dict[str, list[tuple[date, float]]]:
    return {name: await load_series(db, name) for name in (RUT, ETH_BTC, FEAR_GREED)}
