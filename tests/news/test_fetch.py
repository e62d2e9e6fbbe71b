"""The HTTP fetcher against a real server on 127.0.0.1 that misbehaves on purpose.

The server is on loopback, so these fetchers run with FEEDS_ALLOW_PRIVATE on; the SSRF refusals
themselves are in test_guard.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.config import Settings, load_settings
from bot.news.fetch import Conditional, FetchStatus, HttpFetcher
from bot.news.validate import check_feed_url
from bot.utils.http.addresses import AddressPolicy
from bot.utils.http.feed_client import make_feed_client
from bot.utils.http.headers import parse_retry_after
from tests.news.conftest import FaultServer

MAX_BYTES = 200_000


@pytest.fixture
def fast_settings(tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path / "data",
        http_timeout=1.0,
        http_max_bytes=MAX_BYTES,
        feeds_allow_private=True,
    )


@pytest.fixture
async def fetcher(fast_settings: Settings) -> AsyncIterator[HttpFetcher]:
    async with make_feed_client(fast_settings) as http:
        yield HttpFetcher(
            http,
            max_bytes=fast_settings.http_max_bytes,
            per_host=fast_settings.http_per_host,
            timeout=fast_settings.http_timeout,
        )


async def test_ok_then_304_with_etag(fetcher: HttpFetcher, fault_server: FaultServer) -> None:
    url = fault_server.url("/feed/theblock_en_20251212.rss")
    first = await fetcher(url, Conditional())
    assert first.status is FetchStatus.OK
    assert first.body and first.body.startswith(b"<?xml")
    assert first.etag and first.last_modified
    assert first.headers["content-type"].startswith("application/rss+xml")
    again = await fetcher(url, Conditional(first.etag, first.last_modified))
    assert again.status is FetchStatus.NOT_MODIFIED
    assert again.body is None


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/status/403", FetchStatus.BLOCKED, "http_403"),
        ("/status/429", FetchStatus.BLOCKED, "http_429"),
        ("/status/404", FetchStatus.GONE, "http_404"),
        ("/status/410", FetchStatus.GONE, "http_410"),
        ("/status/500", FetchStatus.FAILING, "http_500"),
        ("/slow", FetchStatus.FAILING, "timeout"),
        ("/trickle", FetchStatus.FAILING, "timeout"),
        ("/endless", FetchStatus.FAILING, "too_large"),
        ("/loop-a", FetchStatus.FAILING, "redirect_loop"),
        ("/html", FetchStatus.FAILING, "not_xml: text/html"),
        ("/json", FetchStatus.FAILING, "not_xml: application/json"),
    ],
)
async def test_faults_become_statuses_with_reasons(
    fetcher: HttpFetcher, fault_server: FaultServer, path: str, status: FetchStatus, error: str
) -> None:
    result = await fetcher(fault_server.url(path), Conditional())
    assert result.status is status
    assert result.error == error
    assert result.body is None


async def test_retry_after_is_reported(fetcher: HttpFetcher, fault_server: FaultServer) -> None:
    result = await fetcher(fault_server.url("/status/429"), Conditional())
    assert result.retry_after == 120


async def test_unreachable_port_is_a_network_failure(fetcher: HttpFetcher) -> None:
    result = await fetcher("http://127.0.0.1:9/feed", Conditional())
    assert result.status is FetchStatus.FAILING
    assert result.error is not None and result.error.startswith("network")


async def test_redirect_to_a_feed_is_followed(
    fetcher: HttpFetcher, fault_server: FaultServer
) -> None:
    target = fault_server.url("/feed/decrypt_en_20251212.rss")
    result = await fetcher(fault_server.url(f"/redirect?to={target}"), Conditional())
    assert result.status is FetchStatus.OK
    assert result.url == target


async def test_per_host_limit_is_honoured(
    fast_settings: Settings, fault_server: FaultServer
) -> None:
    """With one slot per host, a hung request holds the host while another host proceeds."""

    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]  # "other.test": another name for the same local server

    policy = AddressPolicy(allow_private=True)
    async with make_feed_client(fast_settings, policy=policy, resolver=resolver) as http:
        http.timeout = httpx.Timeout(5)
        # The slow request holds its slot for 2 s; the other host answers in milliseconds.
        fetch = HttpFetcher(http, max_bytes=MAX_BYTES, per_host=1, timeout=2.0)
        slow = asyncio.create_task(fetch(fault_server.url("/slow"), Conditional()))
        await asyncio.sleep(0.05)
        same_host = asyncio.create_task(
            fetch(fault_server.url("/feed/theblock_en_20251212.rss"), Conditional())
        )
        other_host = fault_server.url("/feed/theblock_en_20251212.rss").replace(
            "127.0.0.1", "other.test"
        )
        other = await fetch(other_host, Conditional())
        assert other.status is FetchStatus.OK
        assert not same_host.done()  # still waiting for the slow request's slot
        assert (await slow).error == "timeout"
        assert (await same_host).status is FetchStatus.OK


async def test_a_plain_client_is_refused() -> None:
    """Only the guarded feed client can fetch feeds: no unchecked path by mistake."""
    async with httpx.AsyncClient() as http:
        with pytest.raises(TypeError):
            HttpFetcher(http, max_bytes=MAX_BYTES, per_host=1, timeout=1.0)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await check_feed_url(http, "https://example.org/feed", max_bytes=MAX_BYTES)  # type: ignore[arg-type]


def test_retry_after_parsing() -> None:
    now = datetime(2025, 12, 12, 12, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Fri, 12 Dec 2025 12:05:00 GMT", now) == 300
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
