"""Parse fetched feed bytes with feedparser, in a worker thread, into plain raw entries.

Every document passes `parse_guard.prepare` first: one that would cost feedparser too much is
refused, and a long one is cut to the newest `max_entries` entries.
"""

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

from bot.news.parse_guard import MAX_ENTRIES, DocumentRefused, Prepared, prepare

log = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 200  # FEED_MAX_ENTRIES


class FeedUnreadable(Exception):
    """The document is not a feed feedparser can read anything from; `reason` says why.

    Documents the guard refuses have a reason code (parse_guard.REASONS) and a `detail`.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


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
    # Why entries were dropped: "max_entries" (more than the cap), or the guard's reason code
    # (parse_guard.REASONS) when the whole document would have cost too much to parse.
    truncated: str | None = None


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


def _newest(entries: list[RawEntry], limit: int) -> list[RawEntry]:
    """The `limit` newest entries, in document order; undated ones rank after dated ones."""

    def rank(i: int) -> tuple[bool, float, int]:
        when = entries[i].published
        return (when is None, -when.timestamp() if when else 0.0, i)

    keep = sorted(sorted(range(len(entries)), key=rank)[:limit])
    return [entries[i] for i in keep]


def parse_document(
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> tuple[Any, Prepared]:
    """feedparser's result for `body` after the guard, and what the guard passed on.

    FeedUnreadable if the guard refuses the document.
    """
    # A newline before <?xml> (a common WordPress plugin bug) makes strict XML parsing fail
    # and feedparser fall back to its loose parser, which loses structure; strip it.
    body = body.lstrip(b" \t\r\n")
    try:
        doc = prepare(body, dict(headers or {}), max_entries=max_entries)
    except DocumentRefused as exc:
        raise FeedUnreadable(exc.reason, exc.detail) from None
    # A stream, never bytes: feedparser opens bytes that look like a file path as a file.
    parsed = feedparser.parse(io.BytesIO(doc.body), response_headers=doc.headers)
    # The guard decoded the document already; restore what feedparser said about the raw one.
    parsed["headers"] = dict(headers or {})
    parsed["encoding"] = doc.encoding
    if doc.encoding_error is not None and not parsed.get("bozo"):
        parsed["bozo"] = True
        parsed["bozo_exception"] = doc.encoding_error
    return parsed, doc


def parse_bytes(
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> ParsedFeed:
    """Synchronous parse; callers in async code use `parse_feed`.

    The response headers let feedparser pick the declared charset and resolve relative links
    against the document's location. At most `max_entries` entries are kept, the newest.
    """
    parsed, guard = parse_document(body, headers, max_entries=max_entries)
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
    truncated = guard.truncated
    if len(entries) > max_entries:
        entries = _newest(entries, max_entries)
        truncated = truncated or MAX_ENTRIES
    if guard.truncated not in (None, MAX_ENTRIES):  # cut short by its cost, not the setting
        log.info(
            "feed document cut to %d of %d entries (%s)",
            guard.entries_kept,
            guard.entries_found,
            guard.truncated,
        )
    if parsed.get("bozo"):
        log.debug("feed parsed with warning: %s", reason)
    feed = parsed.get("feed", {})
    return ParsedFeed(
        title=str(feed.get("title") or ""),
        language=str(feed.get("language") or ""),
        entries=entries,
        warning=reason if parsed.get("bozo") else None,
        truncated=truncated,
    )


async def parse_feed(
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> ParsedFeed:
    """feedparser is CPU work and synchronous: run it off the event loop."""
    return await asyncio.to_thread(parse_bytes, body, headers, max_entries=max_entries)
