"""One raw feed entry -> one article ready to store: clean text, canonical link, language,
coins and a UTC publication time; every field within bot/text_limits.py's limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.news.clean import canonical_link, clean_text, clean_title, cut_summary
from bot.news.coins import tag_coins
from bot.news.langdetect import article_language
from bot.news.parse import RawEntry
from bot.text_limits import (
    GUID_CHARS,
    SUMMARY_CHARS,
    TITLE_CHARS,
    clip,
    feed_name,
    fits_key,
    usable_link,
)

# Dates further ahead than this are wrong clocks or scheduled posts: use the first-seen time.
MAX_FUTURE = timedelta(hours=1)
# How much of a raw title / summary is read at all (markup included): far more than is ever
# stored, and a multi-megabyte field costs no more than this in cleaning, coins, language.
RAW_TITLE_CHARS = 20_000
RAW_TEXT_CHARS = 200_000


@dataclass(frozen=True)
class Article:
    guid: str
    link: str
    title: str
    summary: str
    language: str
    source: str
    published_at: datetime
    date_estimated: bool
    coins: tuple[str, ...]


def normalize_entry(
    raw: RawEntry, *, source: str, declared_language: str, now: datetime
) -> Article | None:
    """None for entries without a usable title or link (http(s), within LINK_CHARS).

    Title and summary are clipped to their limits; a GUID longer than GUID_CHARS is replaced
    by the link (it is a key: clipping could make two items one)."""
    title = clip(clean_title(raw.title[:RAW_TITLE_CHARS]), TITLE_CHARS)
    link = canonical_link(raw.link) if raw.link else ""
    if not title or not usable_link(link):
        return None
    text = clean_text(raw.summary[:RAW_TEXT_CHARS])
    summary = clip(cut_summary(text), SUMMARY_CHARS)
    published, estimated = raw.published, False
    if published is None or published > now + MAX_FUTURE:
        published, estimated = now, True
    guid = raw.guid.strip()
    return Article(
        guid=guid if guid and fits_key(guid, GUID_CHARS) else link,
        link=link,
        title=title,
        summary=summary,
        language=article_language(f"{title}. {text}", declared_language),
        source=source,
        published_at=published,
        date_estimated=estimated,
        coins=tuple(tag_coins(title, text)),
    )


def normalize_entries(
    entries: list[RawEntry], *, source: str, declared_language: str, now: datetime
) -> list[Article]:
    out = []
    source = feed_name(source)  # stored in every article: never more than a feed name
    for raw in entries:
        article = normalize_entry(raw, source=source, declared_language=declared_language, now=now)
        if article is not None:
            out.append(article)
    return out
