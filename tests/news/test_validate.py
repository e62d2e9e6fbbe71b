"""/feeds add validation: SSRF refusals (also after redirects), size, not-a-feed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.news.validate import FeedUrlError, Resolver, check_feed_url
from bot.utils.http.addresses import STRICT, AddressPolicy, is_public_address
from bot.utils.http.feed_client import FeedClient, make_feed_client
from bot.utils.http.guard import GuardedBackend
from tests.news.conftest import FaultServer


def fake_resolver_for(address: str) -> Resolver:
    async def resolver(host: str, port: int) -> list[str]:
        return [address]

    return resolver


async def hosts_file(host: str, port: int) -> list[str]:
    """Stands in for the system resolver: tests never look up a real name."""
    if host == "localhost":
        return ["127.0.0.1", "::1"]
    raise OSError(f"unknown test host {host}")


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[FeedClient]:
    """The feed client as production builds it (strict policy), with a fake resolver."""
    settings = load_settings(data_dir=tmp_path / "data", http_timeout=5.0)
    async with make_feed_client(settings, resolver=hosts_file) as client:
        yield client


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.10", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("93.184.215.14", True),
        ("2606:4700::6810:84e5", True),
    ],
)
def test_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/feed", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("http://127.0.0.1/feed", "private"),
        ("http://[::1]/feed", "private"),
        ("http://localhost/feed", "private"),
    ],
)
async def test_refusals_before_any_request(http: FeedClient, url: str, reason: str) -> None:
    with pytest.raises(FeedUrlError) as err:
        await check_feed_url(http, url, max_bytes=100_000)
    assert err.value.reason == reason


async def test_dns_name_pointing_inside_is_refused(http: FeedClient) -> None:
    resolver = fake_resolver_for("10.0.0.5")
    with pytest.raises(FeedUrlError) as err:
        await check_feed_url(
            http, "https://feeds.example.com/rss", max_bytes=100_000, resolver=resolver
        )
    assert err.value.reason == "private"
    # The same check passes a public answer (without connecting anywhere here).
    public = GuardedBackend(STRICT, fake_resolver_for("93.184.215.14"))
    assert await public.checked_addresses("feeds.example.com", 443) == ["93.184.215.14"]


async def test_local_feed_allowed_explicitly(http: FeedClient, fault_server: FaultServer) -> None:
    check = await check_feed_url(
        http,
        fault_server.url("/feed/crypto-insiders_nl_sample.rss"),
        max_bytes=100_000,
        allow_private=True,
    )
    assert check.language == "nl" and check.entry_count == 5
    assert check.title.startswith("Crypto Insiders")


async def test_redirect_into_a_private_network_is_refused(
    http: FeedClient, fault_server: FaultServer, second_server: FaultServer
) -> None:
    """A 'public' host redirecting to 127.0.0.1 is caught on the hop. public.test is the local
    server on 127.0.0.2, which this test's policy trusts as if it were a public site."""
    port = int(second_server.base.rsplit(":", 1)[1])

    async def resolver(host: str, port_: int) -> list[str]:
        return ["127.0.0.2"] if host == "public.test" else ["127.0.0.1"]

    target = fault_server.url("/feed/theblock_en_20251212.rss")
    with pytest.raises(FeedUrlError) as err:
        await check_feed_url(
            http,
            f"http://public.test:{port}/redirect?to={target}",
            max_bytes=100_000,
            resolver=resolver,
            policy=AddressPolicy.trusting("127.0.0.2/32"),
        )
    assert err.value.reason == "private"
    assert second_server.hits.get("/redirect") == 1
    assert "/feed/theblock_en_20251212.rss" not in fault_server.hits


@pytest.mark.parametrize(
    ("path", "reason", "max_bytes"),
    [
        ("/html", "not_a_feed", 100_000),
        ("/json", "not_a_feed", 100_000),
        ("/feed/marketwatch-moved_en_nodate.rss", "not_a_feed", 100_000),
        ("/endless", "too_large", 50_000),
        ("/status/404", "unreachable", 100_000),
        ("/loop-a", "unreachable", 100_000),
    ],
)
async def test_bad_feeds_are_refused_with_a_reason(
    http: FeedClient, fault_server: FaultServer, path: str, reason: str, max_bytes: int
) -> None:
    with pytest.raises(FeedUrlError) as err:
        await check_feed_url(http, fault_server.url(path), max_bytes=max_bytes, allow_private=True)
    assert err.value.reason == reason


async def test_a_document_the_parse_guard_refuses_is_too_large(
    http: FeedClient, fault_server: FaultServer
) -> None:
    fault_server.documents["deep.rss"] = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        b"<title>x</title><link>https://e.org/x</link>" + b"<b>" * 500 + b"</item></channel></rss>"
    )
    with pytest.raises(FeedUrlError) as err:
        await check_feed_url(
            http, fault_server.url("/feed/deep.rss"), max_bytes=100_000, allow_private=True
        )
    assert err.value.reason == "too_large" and err.value.detail.startswith("too_deep")


async def test_the_check_counts_at_most_max_entries(
    http: FeedClient, fault_server: FaultServer
) -> None:
    check = await check_feed_url(
        http,
        fault_server.url("/feed/decrypt_en_20251212.rss"),
        max_bytes=100_000,
        allow_private=True,
        max_entries=10,
    )
    assert check.entry_count == 10


async def test_a_trickling_server_cannot_hold_the_check(
    http: FeedClient, fault_server: FaultServer
) -> None:
    with pytest.raises(FeedUrlError) as err:
        await check_feed_url(
            http,
            fault_server.url("/trickle"),
            max_bytes=100_000,
            allow_private=True,
            time_limit=0.5,
        )
    assert err.value.reason == "unreachable" and err.value.detail == "timeout"
