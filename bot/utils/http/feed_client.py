"""The feed client: the ONE way the bot fetches a feed URL it did not choose itself.

Both the periodic pass (bot.news.fetch.HttpFetcher) and /feeds add (bot.news.validate)
fetch through `FeedClient.open`, which

* allows only http and https, on the first URL and on every redirect,
* follows redirects by hand (at most MAX_REDIRECTS), each hop a new request through the
  guarded transport, so each hop's host is resolved once and checked (bot.utils.http.guard),
* never reads proxy settings from the environment (`trust_env=False`) and never uses a proxy,
* sends an Accept-Encoding that lists only what bot.utils.http.body decodes,
* sends the process's User-Agent, or a feed's own from FEEDS_FILE (`open(user_agent=...)`),
  checked here: one line of printable ASCII, at most USER_AGENT_CHARS. Only headers change;
  the address, scheme and redirect checks are the same for every feed.

The market refresh talks to fixed, configured API hosts and keeps the plain shared client.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import httpcore
import httpx

from bot.config import check_user_agent
from bot.utils.http.addresses import AddressPolicy
from bot.utils.http.body import accept_encoding
from bot.utils.http.errors import HeaderRefused, SchemeRefused, TooManyRedirects
from bot.utils.http.guard import DEFAULT_LIMITS, GuardedTransport, Resolver

if TYPE_CHECKING:
    from bot.config import Settings

MAX_REDIRECTS = 5
SCHEMES = ("http", "https")


def check_scheme(url: httpx.URL) -> None:
    if url.scheme not in SCHEMES or not url.host:
        raise SchemeRefused(f"only http and https URLs with a host: {str(url)[:200]}")


class FeedClient(httpx.AsyncClient):
    """An httpx client bound to a `GuardedTransport`; redirects only through `open`."""

    def __init__(
        self,
        transport: GuardedTransport,
        *,
        timeout: httpx.Timeout | float = 20.0,
        headers: Mapping[str, str] | httpx.Headers | None = None,
    ) -> None:
        merged = httpx.Headers(headers)
        merged["Accept-Encoding"] = accept_encoding()
        super().__init__(
            transport=transport,
            timeout=timeout,
            headers=merged,
            follow_redirects=False,
            trust_env=False,
        )
        self.guard = transport

    @property
    def policy(self) -> AddressPolicy:
        return self.guard.policy

    @property
    def resolver(self) -> Resolver:
        return self.guard.resolver

    def derive(
        self, *, policy: AddressPolicy | None = None, resolver: Resolver | None = None
    ) -> FeedClient:
        """A client with its own pool for another policy or resolver; close it after use."""
        return FeedClient(
            self.guard.derive(policy=policy, resolver=resolver),
            timeout=self.timeout,
            headers=self.headers,
        )

    @asynccontextmanager
    async def open(
        self,
        url: str | httpx.URL,
        *,
        headers: Mapping[str, str] | None = None,
        user_agent: str | None = None,
        max_redirects: int = MAX_REDIRECTS,
    ) -> AsyncIterator[httpx.Response]:
        """GET `url`, following redirects hop by hop; yield the final, unread response.

        `user_agent` replaces the client's User-Agent on every hop (a feed whose site refuses
        the bot's, set by the operator in FEEDS_FILE); HeaderRefused if it is not one line of
        printable ASCII within USER_AGENT_CHARS. Raises SchemeRefused, AddressRefused (from the
        transport), TooManyRedirects, or an httpx.HTTPError. The response's `url` is the
        final URL.
        """
        if user_agent is not None:
            try:
                agent = check_user_agent(user_agent)
            except ValueError as exc:
                raise HeaderRefused(str(exc)) from None
            headers = {**(headers or {}), "User-Agent": agent}
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise SchemeRefused(f"not a URL: {exc}") from None
        for _hop in range(max_redirects + 1):
            check_scheme(target)
            request = self.build_request("GET", target, headers=headers)
            resp = await self.send(request, stream=True)
            if not resp.has_redirect_location:
                try:
                    yield resp
                finally:
                    await resp.aclose()
                return
            location = resp.headers["location"]
            await resp.aclose()
            try:
                target = target.join(location)
            except httpx.InvalidURL as exc:
                raise SchemeRefused(f"bad redirect location: {exc}") from None
        raise TooManyRedirects(f"more than {max_redirects} redirects")


def make_feed_client(
    settings: Settings,
    *,
    policy: AddressPolicy | None = None,
    resolver: Resolver | None = None,
    verify: ssl.SSLContext | bool = True,
    network_backend: httpcore.AsyncNetworkBackend | None = None,
) -> FeedClient:
    """The process's feed client: the shared client's timeouts and User-Agent, guarded.

    The policy defaults to FEEDS_ALLOW_PRIVATE; tests pass their own policy and resolver.
    """
    if policy is None:
        policy = AddressPolicy(allow_private=settings.feeds_allow_private)
    transport = GuardedTransport(
        policy=policy,
        resolver=resolver,
        verify=verify,
        limits=DEFAULT_LIMITS,
        network_backend=network_backend,
    )
    return FeedClient(
        transport,
        timeout=httpx.Timeout(settings.http_timeout, connect=min(10.0, settings.http_timeout)),
        headers={"User-Agent": settings.http_user_agent},
    )
