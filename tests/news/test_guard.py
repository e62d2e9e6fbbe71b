"""The one guarded path for feed requests (bot/utils/http): the transport
that resolves once and connects to the checked address, redirects hop by hop, TLS names,
proxies, the deadline; through both the periodic pass (HttpFetcher) and /feeds add
(check_feed_url). The address policy itself: tests/utils/test_addresses.py.

Nothing here resolves a real name: names go through the resolver seam, and a local server on
127.0.0.2 poses as a public site under a policy that trusts that one address."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from urllib.parse import urlencode

import httpcore
import pytest

from bot.config import Settings, load_settings
from bot.news.fetch import Conditional, FetchResult, FetchStatus, HttpFetcher
from bot.news.validate import FeedUrlError, check_feed_url
from bot.utils.http.addresses import AddressPolicy
from bot.utils.http.feed_client import FeedClient, make_feed_client
from tests.harness import serve_app
from tests.news.conftest import FaultServer, _app, saved

FEED = "/feed/theblock_en_20251212.rss"
TRUST_2 = AddressPolicy.trusting("127.0.0.2/32")  # the second server poses as public


# --- seams: a resolver that records, a backend that records where it connects ------------


class Names:
    """The resolver seam: a fixed table, every call recorded."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.table:
            raise OSError(f"no such test host {host}")
        return self.table[host]


class Rebinding:
    """Answers with a trusted address first, a private one on every later lookup."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return ["127.0.0.2"] if self.calls == 1 else ["127.0.0.1"]


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """The real network backend, noting the host of every connection it makes."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.hosts: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.hosts.append(host)
        return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", http_timeout=5.0, http_max_bytes=200_000)


def port_of(server: FaultServer) -> int:
    return int(server.base.rsplit(":", 1)[1])


async def fetch(client: FeedClient, url: str, *, deadline: float = 5.0) -> FetchResult:
    fetcher = HttpFetcher(client, max_bytes=200_000, per_host=2, timeout=deadline)
    return await fetcher(url, Conditional())


async def add(client: FeedClient, url: str, resolver: Names, policy: AddressPolicy) -> str:
    """check_feed_url's refusal reason, or "ok"."""
    try:
        await check_feed_url(client, url, max_bytes=200_000, resolver=resolver, policy=policy)
    except FeedUrlError as exc:
        return exc.reason
    return "ok"


# --- the transport --------------------------------------------------------------------------


async def test_a_name_is_resolved_once_and_the_checked_address_is_connected(
    settings: Settings, second_server: FaultServer
) -> None:
    names = Names({"feeds.example": ["127.0.0.2"]})
    backend = RecordingBackend()
    url = f"http://feeds.example:{port_of(second_server)}{FEED}"
    async with make_feed_client(
        settings, policy=TRUST_2, resolver=names, network_backend=backend
    ) as client:
        result = await fetch(client, url)
    assert result.status is FetchStatus.OK and result.body == saved(FEED.rsplit("/", 1)[1])
    assert result.url == url
    assert names.calls == ["feeds.example"]
    assert backend.hosts == ["127.0.0.2"]  # the checked address, not the name again
    assert second_server.headers[FEED]["Host"] == f"feeds.example:{port_of(second_server)}"


async def test_an_ip_literal_is_not_looked_up(
    settings: Settings, second_server: FaultServer
) -> None:
    names = Names({})
    async with make_feed_client(settings, policy=TRUST_2, resolver=names) as client:
        result = await fetch(client, second_server.url(FEED))
    assert result.status is FetchStatus.OK
    assert names.calls == []


async def test_dns_rebinding_cannot_swap_the_address(
    settings: Settings, second_server: FaultServer
) -> None:
    """Public (trusted) on the first lookup, private on the second: there is no second one."""
    url = f"http://rebind.example:{port_of(second_server)}{FEED}"
    rebinding = Rebinding()
    backend = RecordingBackend()
    async with make_feed_client(
        settings, policy=TRUST_2, resolver=rebinding, network_backend=backend
    ) as client:
        result = await fetch(client, url)
        assert result.status is FetchStatus.OK
        assert rebinding.calls == 1
        assert backend.hosts == ["127.0.0.2"]

    again = Rebinding()
    async with make_feed_client(settings, policy=TRUST_2, resolver=again) as client:
        check = await check_feed_url(client, url, max_bytes=200_000, policy=TRUST_2)
    assert check.url == url and check.entry_count > 0
    assert again.calls == 1


async def test_the_next_checked_address_is_tried_when_one_does_not_answer(
    settings: Settings, second_server: FaultServer
) -> None:
    names = Names({"feeds.example": ["127.0.0.3", "127.0.0.2"]})  # nothing listens on .3
    backend = RecordingBackend()
    policy = AddressPolicy.trusting("127.0.0.2/31")
    async with make_feed_client(
        settings, policy=policy, resolver=names, network_backend=backend
    ) as client:
        result = await fetch(client, f"http://feeds.example:{port_of(second_server)}{FEED}")
    assert result.status is FetchStatus.OK
    assert backend.hosts == ["127.0.0.3", "127.0.0.2"]
    assert names.calls == ["feeds.example"]


def test_address_families_alternate() -> None:
    from bot.utils.http.guard import _interleaved

    assert _interleaved(["::2", "::3", "10.0.0.1", "10.0.0.2"]) == [
        "::2",
        "10.0.0.1",
        "::3",
        "10.0.0.2",
    ]
    assert _interleaved(["10.0.0.1", "::2"]) == ["10.0.0.1", "::2"]


async def test_one_private_answer_among_public_ones_refuses_the_host(
    settings: Settings, second_server: FaultServer
) -> None:
    names = Names({"mixed.example": ["127.0.0.2", "10.0.0.1"]})
    backend = RecordingBackend()
    url = f"http://mixed.example:{port_of(second_server)}{FEED}"
    async with make_feed_client(
        settings, policy=TRUST_2, resolver=names, network_backend=backend
    ) as client:
        result = await fetch(client, url)
        reason = await add(client, url, names, TRUST_2)
    assert (result.status, result.error) == (FetchStatus.FAILING, "private_address")
    assert reason == "private"
    assert backend.hosts == [] and second_server.hits == {}


@pytest.mark.parametrize("inside", ["127.0.0.1", "10.0.0.1", "169.254.169.254"])
async def test_a_redirect_into_a_private_network_is_refused_in_the_pass_and_in_feeds_add(
    settings: Settings, fault_server: FaultServer, second_server: FaultServer, inside: str
) -> None:
    """feeds.example (trusted, 127.0.0.2) redirects to inside.example, which resolves to a
    private address; on 127.0.0.1 the fault server would even answer. Neither path gets there."""
    target = f"http://inside.example:{port_of(fault_server)}{FEED}"
    url = f"http://feeds.example:{port_of(second_server)}/redirect?{urlencode({'to': target})}"
    for path in ("pass", "feeds add"):
        names = Names({"feeds.example": ["127.0.0.2"], "inside.example": [inside]})
        backend = RecordingBackend()
        async with make_feed_client(
            settings, policy=TRUST_2, resolver=names, network_backend=backend
        ) as client:
            if path == "pass":
                result = await fetch(client, url)
                assert (result.status, result.error) == (FetchStatus.FAILING, "private_address")
            else:
                assert await add(client, url, names, TRUST_2) == "private"
        assert names.calls == ["feeds.example", "inside.example"], path  # once per hop
        assert backend.hosts == ["127.0.0.2"], path  # never inside
    assert second_server.hits["/redirect"] == 2
    assert fault_server.hits == {}


async def test_metadata_stays_refused_with_allow_private(
    settings: Settings, fault_server: FaultServer, second_server: FaultServer
) -> None:
    lax = AddressPolicy.trusting("127.0.0.2/32", allow_private=True)
    names = Names(
        {"feeds.example": ["127.0.0.2"], "meta.example": ["169.254.169.254"]}
        | {"inside.example": ["127.0.0.1"]}
    )

    def via_redirect(host: str) -> str:
        target = f"http://{host}:{port_of(fault_server)}{FEED}"
        return f"http://feeds.example:{port_of(second_server)}/redirect?{urlencode({'to': target})}"

    async with make_feed_client(settings, policy=lax, resolver=names) as client:
        refused = await fetch(client, via_redirect("meta.example"))
        assert (refused.status, refused.error) == (FetchStatus.FAILING, "private_address")
        assert await add(client, via_redirect("meta.example"), names, lax) == "private"
        assert fault_server.hits == {}
        # The control: the same redirect to loopback is followed, since private is allowed.
        followed = await fetch(client, via_redirect("inside.example"))
        assert followed.status is FetchStatus.OK
        assert await add(client, via_redirect("inside.example"), names, lax) == "ok"
    assert fault_server.hits[FEED] == 2


@pytest.mark.parametrize(
    "location", ["ftp://example.org/feed.xml", "file:///etc/passwd", "gopher://127.0.0.2:70/"]
)
async def test_a_redirect_to_another_scheme_is_refused(
    settings: Settings, second_server: FaultServer, location: str
) -> None:
    names = Names({})
    url = second_server.url(f"/redirect?{urlencode({'to': location})}")
    async with make_feed_client(settings, policy=TRUST_2, resolver=names) as client:
        result = await fetch(client, url)
        assert (result.status, result.error) == (FetchStatus.FAILING, "bad_scheme")
        assert await add(client, url, names, TRUST_2) == "scheme"


async def test_five_redirects_are_followed_a_sixth_is_not(
    settings: Settings, second_server: FaultServer
) -> None:
    def chain(hops: int) -> str:
        url = second_server.url(FEED)
        for _ in range(hops):
            url = second_server.url(f"/redirect?{urlencode({'to': url})}")
        return url

    async with make_feed_client(settings, policy=TRUST_2) as client:
        five = await fetch(client, chain(5))
        six = await fetch(client, chain(6))
    assert five.status is FetchStatus.OK and five.url == second_server.url(FEED)
    assert (six.status, six.error) == (FetchStatus.FAILING, "redirect_loop")


async def test_every_hop_is_resolved_once(settings: Settings, second_server: FaultServer) -> None:
    names = Names({"a.example": ["127.0.0.2"], "b.example": ["127.0.0.2"]})
    port = port_of(second_server)
    target = f"http://b.example:{port}{FEED}"
    url = f"http://a.example:{port}/redirect?{urlencode({'to': target})}"
    async with make_feed_client(settings, policy=TRUST_2, resolver=names) as client:
        result = await fetch(client, url)
    assert result.status is FetchStatus.OK and result.url == target
    assert names.calls == ["a.example", "b.example"]


async def test_proxies_in_the_environment_are_not_used(
    settings: Settings, second_server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy would connect wherever it likes, unchecked: the feed client never uses one."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # the discard port: nothing there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    names = Names({"feeds.example": ["127.0.0.2"]})
    async with make_feed_client(settings, policy=TRUST_2, resolver=names) as client:
        result = await fetch(client, f"http://feeds.example:{port_of(second_server)}{FEED}")
    assert result.status is FetchStatus.OK


async def test_one_deadline_covers_lookup_redirects_and_body(
    settings: Settings, fault_server: FaultServer, second_server: FaultServer
) -> None:
    async def slow_dns(host: str, port: int) -> list[str]:
        await asyncio.sleep(10)
        return ["127.0.0.2"]

    policy = AddressPolicy.trusting("127.0.0.2/32", allow_private=True)
    trickle = second_server.url(f"/redirect?{urlencode({'to': fault_server.url('/trickle')})}")
    async with make_feed_client(settings, policy=policy, resolver=slow_dns) as client:
        loop = asyncio.get_running_loop()
        start = loop.time()
        slow = await fetch(client, "http://slow.example/feed", deadline=0.5)
        redirected = await fetch(client, trickle, deadline=0.5)
        elapsed = loop.time() - start
    assert (slow.status, slow.error) == (FetchStatus.FAILING, "timeout")
    assert (redirected.status, redirected.error) == (FetchStatus.FAILING, "timeout")
    assert fault_server.hits["/trickle"] == 1  # the redirect was followed, then cut off
    assert elapsed < 3


# --- TLS: the connection goes to the IP, the certificate is checked against the name ------


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[tuple[FaultServer, ssl.SSLContext, list]]:
    """The fault server over TLS on 127.0.0.2, with a certificate for feeds.example only.

    Yields the server, a client context trusting that certificate, and the SNI names seen."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    command = [
        *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
        *("-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1"),
        *("-subj", "/CN=feeds.example", "-addext", "subjectAltName=DNS:feeds.example"),
    ]
    await asyncio.to_thread(subprocess.run, command, check=True, capture_output=True)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    sni: list[str | None] = []
    server_ctx.sni_callback = lambda sock, name, ctx: sni.append(name)  # type: ignore[assignment,misc]
    server = FaultServer(base="")
    async with serve_app(
        _app(server), "127.0.0.2", ssl_context=server_ctx, shutdown_timeout=0.1
    ) as base:
        server.base = base
        yield server, ssl.create_default_context(cafile=str(cert)), sni


async def test_tls_checks_the_host_name_while_connecting_to_the_ip(
    settings: Settings, tls_server: tuple[FaultServer, ssl.SSLContext, list]
) -> None:
    server, client_ctx, sni = tls_server
    port = port_of(server)
    names = Names({"feeds.example": ["127.0.0.2"], "other.example": ["127.0.0.2"]})
    backend = RecordingBackend()
    async with make_feed_client(
        settings, policy=TRUST_2, resolver=names, verify=client_ctx, network_backend=backend
    ) as client:
        good = await fetch(client, f"https://feeds.example:{port}{FEED}")
        wrong = await fetch(client, f"https://other.example:{port}{FEED}")
    assert good.status is FetchStatus.OK
    assert sni[0] == "feeds.example"  # SNI carries the name, not 127.0.0.2
    # Same address, same certificate, another name: the certificate does not match it.
    assert (wrong.status, wrong.error) == (FetchStatus.FAILING, "network: ConnectError")
    assert backend.hosts == ["127.0.0.2", "127.0.0.2"]
    assert server.hits == {FEED: 1}
