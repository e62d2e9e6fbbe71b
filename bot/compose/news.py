"""The /news view: top stories of a period with their combined sentiment."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from bot.compose.localize import LocalText, localize_stories
from bot.news.query import StoryView, top_stories
from bot.sentiment.store import sentiment_for_articles
from bot.sentiment.types import Label, Sentiment
from bot.storage import Database

# A story leans bullish/bearish when its articles' mean score passes this.
LEAN = 0.15


@dataclass(frozen=True)
class StoryMood:
    label: Label
    score: float
    scored: int


@dataclass(frozen=True)
class NewsItem:
    story: StoryView
    mood: StoryMood | None
    text: LocalText  # title, summary and link as the reader sees them


@dataclass(frozen=True)
class NewsBrief:
    items: list[NewsItem]
    hours: int
    coin: str | None
    language: str | None  # the sources' language asked for; None for any
    now: datetime
    reader: str = "en"  # the language the stories are shown in
    translate: bool = True  # the server's translation switch


def story_mood(scores: list[Sentiment]) -> StoryMood | None:
    if not scores:
        return None
    mean = sum(s.score for s in scores) / len(scores)
    label: Label = "bullish" if mean >= LEAN else "bearish" if mean <= -LEAN else "neutral"
    return StoryMood(label, mean, len(scores))


async def news_brief(
    db: Database,
    *,
    now: datetime,
    hours: int = 24,
    coin: str | None = None,
    language: str | None = None,
    feed_ids: Collection[int],
    limit: int = 5,
    reader: str = "en",
    translate: bool = True,
) -> NewsBrief:
    """The top stories of the articles of `feed_ids` (a server's feed set), each in the text a
    reader of `reader` sees (bot.compose.localize); `language` filters the sources."""
    stories = await top_stories(
        db, now=now, hours=hours, language=language, coin=coin, limit=limit, feed_ids=feed_ids
    )
    ids = [i for s in stories for i in s.article_ids]
    scores = await sentiment_for_articles(db, ids) if ids else {}
    texts = await localize_stories(db, stories, reader, translate=translate, now=now)
    items = [
        NewsItem(s, story_mood([scores[i] for i in s.article_ids if i in scores]), text)
        for s, text in zip(stories, texts, strict=True)
    ]
    return NewsBrief(items, hours, coin, language, now, reader, translate)
