"""Parse fetched feed bytes with feedparser, in a worker thread, into plain raw entries."""

from __future__ import annotations

import asyncio
import calendar
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import feedparser

log = logging.getLogger(__name__)


class FeedUnreadable(Exception):
    """The document is not a feed feedparser can read anything from; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RawEntry:
    guid: str
    link: str
    title: str  # may still hold HTML and entities: clean.py deals with them
    summary: str
    published: datetime | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    language: str
    entries: list[RawEntry]
    warning: str | None  # set for bozo-but-readable documents


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get: FeedParserDict.get maps missing keys to others, with a warning.
        value = dict.get(entry, key)
        if value:
            # feedparser normalises to UTC struct_time; timegm keeps it in UTC.
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (OverflowError, ValueError):
                return None
    return None


def _summary(entry: Any) -> str:
    summary = entry.get("summary") or ""
    if not summary.strip():
        for content in entry.get("content") or []:
            if content.get("value", "").strip():
                return str(content["value"])
    return str(summary)


def parse_bytes(body: bytes, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Synchronous parse; callers in async code use `parse_feed`.

    The response headers let feedparser pick the declared charset and resolve relative links
    against the document's location.
    """
    # A newline before <?xml> (a common WordPress plugin bug) makes strict XML parsing fail
    # and feedparser fall back to its loose parser, which loses structure; strip it.
    body = body.lstrip(b" \t\r\n")
    # A stream, never bytes: feedparser opens bytes that look like a file path as a file.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=dict(headers or {}))
    exc = parsed.get("bozo_exception")
    reason = f"{type(exc).__name__}: {exc}" if exc else None
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        raise FeedUnreadable(f"not a feed ({reason or 'no feed elements'})")
    entries: list[RawEntry] = []
    for entry in parsed.entries:
        link = str(entry.get("link") or "").strip()
        title = str(entry.get("title") or "").strip()
        if not link and not title:
            continue
        guid = str(entry.get("id") or link or title).strip()
        entries.append(RawEntry(guid, link, title, _summary(entry), _when(entry)))
    if parsed.get("bozo"):
        log.debug("feed parsed with warning: %s", reason)
    feed = parsed.get("feed", {})
    return ParsedFeed(
        title=str(feed.get("title") or ""),
        language=str(feed.get("language") or ""),
        entries=entries,
        warning=reason if parsed.get("bozo") else None,
    )


async def parse_feed(body: bytes, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """feedparser is CPU work and synchronous: run it off the event loop."""
    return await asyncio.to_thread(parse_bytes, body, headers)
