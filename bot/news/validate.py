"""Check a feed URL a user wants to add (/feeds add): safe to fetch, reachable, a real feed.

The fetch goes through the same guarded path as the periodic pass (`FeedClient.open`,
bot/utils/http): only http(s), every redirect hop's host resolved ONCE and refused when any of
its addresses is private, loopback, link-local, metadata or reserved (SSRF), the connection
made to the checked address, the body capped on the wire and after decoding. Each refusal is
a FeedUrlError with a stable `reason` code the Discord layer maps to a translated message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from bot.news.clean import clean_title
from bot.news.fetch import looks_like_feed
from bot.news.langdetect import detect
from bot.news.parse import DEFAULT_MAX_ENTRIES, FeedUnreadable, parse_feed
from bot.news.parse_cost import REASONS as GUARD_REASONS
from bot.utils.http.addresses import AddressPolicy
from bot.utils.http.body import read_body
from bot.utils.http.errors import (
    AddressRefused,
    BadEncoding,
    BodyTooLarge,
    SchemeRefused,
    TooManyRedirects,
    UnsupportedEncoding,
)
from bot.utils.http.feed_client import MAX_REDIRECTS, FeedClient
from bot.utils.http.guard import Resolver

__all__ = [
    "MAX_REDIRECTS",
    "FeedCheck",
    "FeedUrlEncoding",
    "FeedUrlError",
    "FeedUrlNotAFeed",
    "FeedUrlPrivate",
    "FeedUrlScheme",
    "FeedUrlTooLarge",
    "FeedUrlUnreachable",
    "Resolver",
    "check_feed_url",
]


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


class FeedUrlEncoding(FeedUrlError):
    """A Content-Encoding we do not decode (or stacked codings), or a corrupt body."""

    reason = "unsupported_encoding"


@dataclass(frozen=True)
class FeedCheck:
    title: str
    language: str  # "en", "nl" or "other"
    entry_count: int
    url: str  # after redirects


async def _download(http: FeedClient, url: str, *, max_bytes: int) -> tuple[str, bytes, str]:
    """GET through the guarded path; return (final url, body, content type)."""
    try:
        async with http.open(url) as resp:
            if not 200 <= resp.status_code < 300:
                raise FeedUrlUnreachable(f"http_{resp.status_code}")
            body = await read_body(resp, max_bytes=max_bytes)
            return str(resp.url), body, resp.headers.get("content-type", "")
    except AddressRefused as exc:
        raise FeedUrlPrivate(str(exc)) from None
    except SchemeRefused as exc:
        raise FeedUrlScheme(str(exc)) from None
    except TooManyRedirects:
        raise FeedUrlUnreachable("too many redirects") from None
    except BodyTooLarge as exc:
        raise FeedUrlTooLarge(str(exc)) from None
    except (UnsupportedEncoding, BadEncoding) as exc:
        raise FeedUrlEncoding(str(exc)) from None
    except httpx.HTTPError as exc:
        raise FeedUrlUnreachable(f"{type(exc).__name__}: {exc}") from None


async def check_feed_url(
    http: FeedClient,
    url: str,
    *,
    max_bytes: int,
    allow_private: bool = False,
    resolver: Resolver | None = None,
    time_limit: float = 30.0,
    policy: AddressPolicy | None = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> FeedCheck:
    """Fetch and parse `url` once; raise a FeedUrlError subclass saying why it cannot be added.

    `http` must be the guarded feed client (bot.utils.http.make_feed_client). The check judges
    addresses by `AddressPolicy(allow_private=allow_private)`, or by `policy` when given;
    `allow_private` lets self-hosters (FEEDS_ALLOW_PRIVATE) through. `resolver` replaces the
    client's resolver (tests; None: the client's own). When either differs from the client's,
    the check runs on a short-lived client derived from it. `time_limit` (seconds) bounds the
    whole check, redirects and a slowly trickling body included. The document is parsed as
    the ingest pass will parse it: a document the parse guard refuses is "too_large".
    """
    if not isinstance(http, FeedClient):
        raise TypeError("check_feed_url needs a FeedClient (bot.utils.http.make_feed_client)")
    wanted = policy if policy is not None else AddressPolicy(allow_private=allow_private)
    same = wanted == http.policy and resolver in (None, http.resolver)
    client = http if same else http.derive(policy=wanted, resolver=resolver)
    try:
        async with asyncio.timeout(time_limit):
            final, body, content_type = await _download(client, url.strip(), max_bytes=max_bytes)
    except TimeoutError:
        raise FeedUrlUnreachable("timeout") from None
    finally:
        if client is not http:
            await client.aclose()
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
