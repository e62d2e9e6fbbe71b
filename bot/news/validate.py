"""Check a feed URL a user wants to add (/feeds add): safe to fetch, reachable, a real feed.

Refuses URLs that resolve to private, loopback, link-local or reserved addresses (SSRF), and
checks again after every redirect. Each refusal is a FeedUrlError with a stable `reason` code
the Discord layer maps to a translated message.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from bot.news.clean import clean_title
from bot.news.fetch import looks_like_feed
from bot.news.langdetect import detect
from bot.news.parse import DEFAULT_MAX_ENTRIES, FeedUnreadable, parse_feed
from bot.news.parse_guard import REASONS as GUARD_REASONS

MAX_REDIRECTS = 5


class FeedUrlError(Exception):
    reason = "unreachable"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.reason)
        self.detail = detail


class FeedUrlScheme(FeedUrlError):
    reason = "scheme"


class FeedUrlPrivate(FeedUrlError):
    reason = "private"


class FeedUrlUnreachable(FeedUrlError):
    reason = "unreachable"


class FeedUrlTooLarge(FeedUrlError):
    reason = "too_large"


class FeedUrlNotAFeed(FeedUrlError):
    reason = "not_a_feed"


@dataclass(frozen=True)
class FeedCheck:
    title: str
    language: str  # "en", "nl" or "other"
    entry_count: int
    url: str  # after redirects


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """All addresses of a host, via the loop's getaddrinfo (runs in its executor)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def check_address(
    url: str, *, allow_private: bool = False, resolver: Resolver = resolve
) -> None:
    """Raise unless `url` is http(s) and every address its host resolves to is public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedUrlScheme(url)
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = await resolver(parts.hostname, port)
    except (OSError, UnicodeError) as exc:
        raise FeedUrlUnreachable(f"cannot resolve {parts.hostname}: {exc}") from None
    if not addresses:
        raise FeedUrlUnreachable(f"no address for {parts.hostname}")
    for address in addresses:
        if not is_public_address(address):
            raise FeedUrlPrivate(f"{parts.hostname} resolves to {address}")


async def _download(
    http: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    allow_private: bool,
    resolver: Resolver,
) -> tuple[str, bytes, str]:
    """Follow redirects by hand, checking each hop's address; return (url, body, type)."""
    for _hop in range(MAX_REDIRECTS + 1):
        await check_address(url, allow_private=allow_private, resolver=resolver)
        try:
            async with http.stream("GET", url, follow_redirects=False) as resp:
                if resp.is_redirect:
                    location = resp.headers.get("location")
                    if not location:
                        raise FeedUrlUnreachable("redirect without a location")
                    url = urljoin(url, location)
                    continue
                if resp.status_code >= 400:
                    raise FeedUrlUnreachable(f"http_{resp.status_code}")
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise FeedUrlTooLarge(declared)
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise FeedUrlTooLarge(f"more than {max_bytes} bytes")
                    chunks.append(chunk)
                return url, b"".join(chunks), resp.headers.get("content-type", "")
        except httpx.HTTPError as exc:
            raise FeedUrlUnreachable(f"{type(exc).__name__}: {exc}") from None
    raise FeedUrlUnreachable("too many redirects")


async def check_feed_url(
    http: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    allow_private: bool = False,
    resolver: Resolver = resolve,
    time_limit: float = 30.0,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> FeedCheck:
    """Fetch and parse `url` once; raise a FeedUrlError subclass saying why it cannot be added.

    `allow_private` lets self-hosters and tests on 127.0.0.1 through; `resolver` can be
    replaced in tests (the default uses the system resolver). `time_limit` (seconds) bounds
    the whole check, redirects and a slowly trickling body included. The document is parsed
    as the ingest pass will parse it: a document the parse guard refuses is "too_large".
    """
    try:
        async with asyncio.timeout(time_limit):
            final, body, content_type = await _download(
                http,
                url.strip(),
                max_bytes=max_bytes,
                allow_private=allow_private,
                resolver=resolver,
            )
    except TimeoutError:
        raise FeedUrlUnreachable("timeout") from None
    if not looks_like_feed(body, content_type):
        raise FeedUrlNotAFeed(content_type or "unknown content")
    try:
        parsed = await parse_feed(
            body,
            {"content-type": content_type, "content-location": final},
            max_entries=max_entries,
        )
    except FeedUnreadable as exc:
        if exc.reason in GUARD_REASONS:  # too big or too intricate to parse: say so
            raise FeedUrlTooLarge(str(exc)) from None
        raise FeedUrlNotAFeed(exc.reason) from None
    declared = parsed.language.split("-")[0].lower()
    sample = ". ".join(clean_title(e.title) for e in parsed.entries[:20])
    found = detect(sample)
    language = found.language if found.confident or declared not in ("en", "nl") else declared
    return FeedCheck(
        title=clean_title(parsed.title) or final,
        language=language,
        entry_count=len(parsed.entries),
        url=final,
    )
