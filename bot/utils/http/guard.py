"""The guarded transport: resolve once, check every address, connect to the checked one.

httpx hands the URL's host to httpcore, which asks its network backend to `connect_tcp(host,
port)`. `GuardedBackend` is that backend: it resolves the host ONCE through the resolver seam,
refuses the connection if ANY address is not allowed by the policy (`AddressRefused`), and
then connects to the checked IP address itself, so no second lookup can answer differently
(DNS rebinding). httpcore still starts TLS with `server_hostname` = the URL's host, so SNI and
the certificate's host name check use the name, not the IP.

`GuardedTransport` is an `httpx.AsyncBaseTransport` over an `httpcore.AsyncConnectionPool`
built with that backend. No proxy: the pool connects directly, and the feed client never
reads proxy settings from the environment.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager

import httpcore
import httpx

from bot.utils.http.addresses import STRICT, AddressPolicy
from bot.utils.http.errors import AddressRefused

# (host, port) -> addresses. The default asks the system (loop.getaddrinfo); tests pass their
# own so that no test ever resolves a real name.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address of `host`, in getaddrinfo's order of preference, each once."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


EARLY_ATTEMPT = 3.0  # seconds for each connection attempt but the last


def _interleaved(addresses: list[str]) -> list[str]:
    """The resolver's order, alternating address families (RFC 8305): first of the first
    family, first of the other, second of the first, ..."""
    first = ":" in addresses[0]
    same = [a for a in addresses if (":" in a) == first]
    other = [a for a in addresses if (":" in a) != first]
    mixed: list[str] = []
    for n in range(max(len(same), len(other))):
        mixed += same[n : n + 1] + other[n : n + 1]
    return mixed


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks every host before the one connection to a checked address."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: Resolver,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self._backend = backend or httpcore.AnyIOBackend()

    async def checked_addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to, all allowed; raises AddressRefused otherwise.

        An IP literal is its own answer: no lookup. A name is looked up exactly once.
        """
        literal = _literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = list(await self.resolver(host, port))
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
            if not addresses:
                raise httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            kind = self.policy.refusal(address)
            if kind is not None:
                raise AddressRefused(host, address, kind.name.lower())
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self.checked_addresses(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        failure: Exception | None = None
        ordered = _interleaved(addresses)
        for n, address in enumerate(ordered):
            # Every address but the last gets a short try, so a black-holed IPv6 route costs
            # seconds, not the whole connect timeout (a simple stand-in for happy eyeballs).
            last = n == len(ordered) - 1
            attempt = timeout if last or timeout is None else min(timeout, EARLY_ATTEMPT)
            try:
                return await self._backend.connect_tcp(
                    address,
                    port,
                    timeout=attempt,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("feeds are never fetched over a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


# httpcore's exceptions as httpx's, most specific first (what httpx's own transport does).
_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for source, target in _EXCEPTIONS:
            if isinstance(exc, source):
                raise target(str(exc)) from exc
        raise


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpcore.Response) -> None:
        self._response = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped():
            async for part in self._response.aiter_stream():
                yield part

    async def aclose(self) -> None:
        with _mapped():
            await self._response.aclose()


DEFAULT_LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=16)


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport whose every connection went through `GuardedBackend`."""

    def __init__(
        self,
        *,
        policy: AddressPolicy = STRICT,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.resolver = resolver or system_resolver
        self._ssl_context = (
            verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
        )
        self._limits = limits
        self._network_backend = network_backend
        self.backend = GuardedBackend(self.policy, self.resolver, network_backend)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=self._ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=self.backend,
        )

    def derive(
        self, *, policy: AddressPolicy | None = None, resolver: Resolver | None = None
    ) -> GuardedTransport:
        """A new transport (own pool) with another policy or resolver, the rest the same."""
        return GuardedTransport(
            policy=self.policy if policy is None else policy,
            resolver=resolver or self.resolver,
            verify=self._ssl_context,
            limits=self._limits,
            network_backend=self._network_backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _mapped():
            resp = await self._pool.handle_async_request(core)
        return httpx.Response(
            status_code=resp.status,
            headers=resp.headers,
            stream=_ResponseStream(resp),
            extensions=resp.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()
