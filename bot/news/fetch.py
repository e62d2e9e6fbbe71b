"""Fetch feed documents through the guarded feed client: conditional GET, size caps, per-host
limits, a total deadline.

Every request goes through `FeedClient.open` (bot/utils/http): each redirect hop's host is
resolved once and checked against the address policy, and the body is read with caps on the
wire and after decoding. Every outcome is a `FetchResult` with a status and, on failure, a
short reason (a refusal's reason: private_address, bad_scheme, unsupported_encoding,
too_large, ...); nothing here raises for a bad feed, so one feed can never stall or break
the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

import httpx

from bot.utils.http.body import read_body
from bot.utils.http.errors import FetchRefused
from bot.utils.http.feed_client import FeedClient
from bot.utils.http.headers import parse_retry_after

log = logging.getLogger(__name__)


class FetchStatus(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"
    FAILING = "failing"
    BLOCKED = "blocked"  # 403 / 429: the site refuses us for now
    GONE = "gone"  # 404 / 410


@dataclass(frozen=True)
class Conditional:
    """Validators from the previous successful fetch, sent back for a conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    status: FetchStatus
    body: bytes | None = None
    # Lower-cased response headers the parser needs (content-type, content-location).
    headers: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from a Retry-After header
    seconds: float | None = None  # the fetch's own time (connect, redirects, body), measured


# The pipeline calls a fetcher per feed URL; the demo injects one that reads bundled files.
Fetcher = Callable[[str, Conditional], Awaitable[FetchResult]]

_FEED_MARKERS = (b"<rss", b"<feed", b"<rdf:rdf", b"<?xml")
_XML_TYPES = ("xml", "rss", "atom", "rdf")


def looks_like_feed(body: bytes, content_type: str) -> bool:
    """Cheap check before parsing: an XML-ish content type or an XML/feed root near the start."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(marker in head for marker in _FEED_MARKERS):
        return True
    ctype = content_type.split(";")[0].strip().lower()
    return any(t in ctype for t in _XML_TYPES) and head.startswith(b"<")


class HttpFetcher:
    """Fetches through the process's feed client; at most `per_host` requests per host.

    `user_agents` maps a feed URL to the User-Agent its FEEDS_FILE entry sets; the client
    checks it (bot.utils.http.feed_client) and every other feed sends HTTP_USER_AGENT.
    """

    def __init__(
        self,
        http: FeedClient,
        *,
        max_bytes: int,
        per_host: int,
        timeout: float,
        user_agents: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(http, FeedClient):  # the guarded path is not optional
            raise TypeError("HttpFetcher needs a FeedClient (bot.utils.http.make_feed_client)")
        self.http = http
        self.max_bytes = max_bytes
        self.per_host = per_host
        # A total deadline per request, redirects and body included: httpx timeouts are per
        # read, so a server that trickles bytes forever would otherwise hold the slot.
        self.timeout = timeout
        self.user_agents = dict(user_agents or {})
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def _slot(self, url: str) -> asyncio.Semaphore:
        host = (urlsplit(url).hostname or "").lower()
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.per_host)
        return self._hosts[host]

    async def __call__(self, url: str, conditional: Conditional) -> FetchResult:
        headers = {
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
        }
        if conditional.etag:
            headers["If-None-Match"] = conditional.etag
        if conditional.last_modified:
            headers["If-Modified-Since"] = conditional.last_modified
        async with self._slot(url):
            started = time.monotonic()  # after the per-host wait: that is not the feed's fault
            try:
                async with asyncio.timeout(self.timeout):
                    result = await self._get(url, headers)
                    return replace(result, seconds=time.monotonic() - started)
            except (TimeoutError, httpx.TimeoutException):
                return FetchResult(FetchStatus.FAILING, url=url, error="timeout")
            except FetchRefused as exc:  # address, scheme, redirects, encoding, size
                log.info("fetch of %s refused: %s", url, exc)
                return FetchResult(FetchStatus.FAILING, url=url, error=exc.reason)
            except httpx.HTTPError as exc:
                return FetchResult(
                    FetchStatus.FAILING, url=url, error=f"network: {type(exc).__name__}"
                )

    async def _get(self, url: str, headers: dict[str, str]) -> FetchResult:
        agent = self.user_agents.get(url)
        async with self.http.open(url, headers=headers, user_agent=agent) as resp:
            final = str(resp.url)
            code = resp.status_code
            if code == 304:
                return FetchResult(FetchStatus.NOT_MODIFIED, url=final)
            if code in (403, 429):
                wait = parse_retry_after(resp.headers.get("retry-after"), datetime.now(UTC))
                return FetchResult(
                    FetchStatus.BLOCKED, url=final, error=f"http_{code}", retry_after=wait
                )
            if code in (404, 410):
                return FetchResult(FetchStatus.GONE, url=final, error=f"http_{code}")
            if code >= 300 or code < 200:
                return FetchResult(FetchStatus.FAILING, url=final, error=f"http_{code}")
            body = await read_body(resp, max_bytes=self.max_bytes)
            ctype = resp.headers.get("content-type", "")
            if not looks_like_feed(body, ctype):
                kind = ctype.split(";")[0].strip() or "unknown"
                return FetchResult(FetchStatus.FAILING, url=final, error=f"not_xml: {kind}")
            return FetchResult(
                FetchStatus.OK,
                body=body,
                headers={
                    "content-type": ctype,
                    "content-location": resp.headers.get("content-location", final),
                },
                url=final,
                etag=resp.headers.get("etag"),
                last_modified=resp.headers.get("last-modified"),
            )
