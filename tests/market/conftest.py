"""Fixtures for the market refresh tests: the fake market APIs and the plain HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.config import Settings
from bot.utils.http.client import make_http_client
from tests.market.fakes import FakeMarkets, serve_markets


@pytest.fixture
async def markets() -> AsyncIterator[FakeMarkets]:
    async with serve_markets() as fake:
        yield fake


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    client = make_http_client(settings)
    try:
        yield client
    finally:
        await client.aclose()
