"""One raw feed entry -> one article ready to store: clean text, canonical link, language,
coins and a UTC publication time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.news.clean import canonical_link, clean_text, clean_title, cut_summary
from bot.news.coins import tag_coins
from bot.news.langdetect import article_language
from bot.news.parse import RawEntry

# Dates further ahead than this are wrong clocks or scheduled posts: use the first-seen time.
MAX_FUTURE = timedelta(hours=1)


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
    """None for entries without a usable title or link."""
    title = clean_title(raw.title)
    link = canonical_link(raw.link) if raw.link else ""
    if not title or not link.startswith(("http://", "https://")):
        return None
    text = clean_text(raw.summary)
    summary = cut_summary(text)
    published, estimated = raw.published, False
    if published is None or published > now + MAX_FUTURE:
        published, estimated = now, True
    return Article(
        guid=raw.guid or link,
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
    for raw in entries:
        article = normalize_entry(raw, source=source, declared_language=declared_language, now=now)
        if article is not None:
            out.append(article)
    return out
