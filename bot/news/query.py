"""Read side for commands and digests: top stories, known coins, the newest article time.

Every read takes `feed_ids`, the feeds whose articles it may use (a server's feed set, or the
defaults outside a server); None reads every feed, for tools that look at the whole store.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.news.tables import article_coins, articles
from bot.storage import Database
from bot.storage.types import UTCDateTime

# A story reported a thousand times (a feed re-publishing one title under new links) must
# not cost a thousand rows per question, nor keep them in the read cache. A view reads the
# first reports of each language (the story's lead, titles and summaries, and the mood), the
# newest (the pipeline translates newest first: a story's stored translation is among them)
# and each outlet's first (so the outlets stay complete; bounded by the feed set).
REPORTS_PER_LANGUAGE = 20
NEWEST_PER_LANGUAGE = 5
# The article columns `_view` builds a story from (bot/live/candidates.py reads them too).
VIEW_COLUMNS = (
    articles.c.id,
    articles.c.story_id,
    articles.c.title,
    articles.c.summary,
    articles.c.link,
    articles.c.source,
    articles.c.language,
    articles.c.published_at,
)


@dataclass(frozen=True)
class ArticleText:
    """One report of a story as its outlet wrote it (bot.compose.localize picks what to show)."""

    article_id: int
    language: str
    title: str
    summary: str
    link: str


@dataclass(frozen=True)
class StoryView:
    story_id: int
    title: str
    summary: str
    link: str
    sources: list[str]
    languages: list[str]
    coins: list[str]
    published_at: datetime  # the story's first report
    article_ids: list[int]
    # The reports read (top_stories: a bounded set, REPORTS_PER_LANGUAGE), first report
    # first: a reader sees the one in their language if any.
    texts: tuple[ArticleText, ...] = ()


def coin_counts(rows: Iterable[Any], coins: Mapping[int, list[str]]) -> Counter[str]:
    """How many of `rows` (articles) mention each ticker; `coins` maps article id to tickers."""
    return Counter(c for r in rows for c in coins.get(r.id, []))


def _view(story_id: int, rows: list[Any], counted: Mapping[str, int]) -> StoryView:
    """One story from its reports `rows` and the mentions of each ticker among its articles."""
    rows = sorted(rows, key=lambda r: (r.published_at, r.id))
    lead = rows[0]  # the first report names the story
    summary = next((r.summary for r in rows if r.summary), "")
    sources = list(dict.fromkeys(r.source for r in rows))
    return StoryView(
        story_id=story_id,
        title=lead.title,
        summary=summary,
        link=lead.link,
        sources=sources,
        languages=sorted({r.language for r in rows}),
        coins=sorted(counted, key=lambda c: (-counted[c], c)),
        published_at=lead.published_at,
        article_ids=[r.id for r in rows],
        texts=tuple(ArticleText(r.id, r.language, r.title, r.summary, r.link) for r in rows),
    )


def _window(
    now: datetime,
    hours: int,
    language: str | None,
    feed_ids: Collection[int] | None,
) -> list[sa.ColumnElement[bool]]:
    """The articles a ranking may use: clustered, in the window, of the language and feeds."""
    where = [
        articles.c.published_at > now - timedelta(hours=hours),
        articles.c.published_at <= now,
        articles.c.story_id.is_not(None),
    ]
    if language:
        where.append(articles.c.language == language)
    if feed_ids is not None:
        where.append(articles.c.feed_id.in_(list(feed_ids)))
    return where


def _ranking(where: list[sa.ColumnElement[bool]], coin: str | None, limit: int) -> sa.Select[Any]:
    """The ids of the top `limit` stories, best first: the ranking runs in the database, so a
    question costs the loop a handful of rows instead of every article of the window."""
    latest = sa.func.max(articles.c.published_at)
    query = (
        sa.select(articles.c.story_id)
        .where(*where)
        .group_by(articles.c.story_id)
        .order_by(
            sa.func.count(sa.distinct(articles.c.source)).desc(),
            latest.desc(),
            # Ties: the story first reported earlier, then the older story (deterministic).
            sa.func.min(articles.c.published_at),
            articles.c.story_id,
        )
        .limit(limit)
    )
    if coin:
        # Some of the story's articles in the window mention the ticker.
        mentions = sa.exists().where(
            article_coins.c.article_id == articles.c.id, article_coins.c.coin == coin.upper()
        )
        query = query.having(sa.func.max(sa.case((mentions, 1), else_=0)) == 1)
    return query


async def top_stories(
    db: Database,
    *,
    now: datetime,
    hours: int = 24,
    language: str | None = None,
    coin: str | None = None,
    limit: int = 5,
    feed_ids: Collection[int] | None = None,
) -> list[StoryView]:
    """Stories with articles in the last `hours`, most distinct sources first, then newest,
    then the one first reported earlier.

    `language` keeps only that language's articles (so sources and titles match the reader);
    `coin` keeps stories where any of those articles mentions the ticker; `feed_ids` limits
    the articles to those feeds (a server's own selection).
    """
    if limit <= 0:
        return []
    where = _window(now, hours, language, feed_ids)
    async with db.connection() as conn:
        ranked = list((await conn.execute(_ranking(where, coin, limit))).scalars())
        if not ranked:
            return []
        rows = (await conn.execute(_reports(where, ranked))).all()
        counted: dict[int, Counter[str]] = defaultdict(Counter)
        for story_id, ticker, n in await conn.execute(_mentions(where, ranked)):
            counted[story_id][ticker] = n
    by_story: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_story[r.story_id].append(r)
    return [_view(sid, by_story[sid], counted[sid]) for sid in ranked]


def _reports(where: list[sa.ColumnElement[bool]], ranked: list[int]) -> sa.Select[Any]:
    """The reports of the `ranked` stories a view reads: the first REPORTS_PER_LANGUAGE and
    the newest NEWEST_PER_LANGUAGE of each language, and each outlet's first."""
    story, language = articles.c.story_id, articles.c.language
    first = (articles.c.published_at, articles.c.id)
    newest = (articles.c.published_at.desc(), articles.c.id.desc())
    nth = sa.func.row_number()
    inner = (
        sa.select(
            *VIEW_COLUMNS,
            nth.over(partition_by=(story, language), order_by=first).label("nth"),
            nth.over(partition_by=(story, language), order_by=newest).label("nth_newest"),
            nth.over(partition_by=(story, articles.c.source), order_by=first).label("nth_of"),
        )
        .where(*where, story.in_(ranked))
        .subquery()
    )
    return sa.select(*(inner.c[c.name] for c in VIEW_COLUMNS)).where(
        sa.or_(
            inner.c.nth <= REPORTS_PER_LANGUAGE,
            inner.c.nth_newest <= NEWEST_PER_LANGUAGE,
            inner.c.nth_of == 1,
        )
    )


def _mentions(where: list[sa.ColumnElement[bool]], ranked: list[int]) -> sa.Select[Any]:
    """(story id, ticker, articles of the window mentioning it) for the `ranked` stories:
    counted in the database over every report, not only those `_reports` reads."""
    story = articles.c.story_id
    return (
        sa.select(story, article_coins.c.coin, sa.func.count())
        .select_from(article_coins.join(articles, articles.c.id == article_coins.c.article_id))
        .where(*where, story.in_(ranked))
        .group_by(story, article_coins.c.coin)
    )


async def known_coins(db: Database, *, feed_ids: Collection[int] | None = None) -> list[str]:
    """Tickers seen in stored articles (of `feed_ids`), most mentioned first (autocomplete)."""
    count = sa.func.count().label("n")
    query = (
        sa.select(article_coins.c.coin, count)
        .group_by(article_coins.c.coin)
        .order_by(count.desc(), article_coins.c.coin)
    )
    if feed_ids is not None:
        query = query.join(articles, articles.c.id == article_coins.c.article_id).where(
            articles.c.feed_id.in_(list(feed_ids))
        )
    async with db.connection() as conn:
        return [row.coin for row in await conn.execute(query)]


async def latest_article_time(
    db: Database, *, feed_ids: Collection[int] | None = None
) -> datetime | None:
    query = sa.select(sa.func.max(articles.c.published_at))
    if feed_ids is not None:
        query = query.where(articles.c.feed_id.in_(list(feed_ids)))
    async with db.connection() as conn:
        value = await conn.scalar(query)
    if value is None:
        return None
    # An aggregate loses the column type on SQLite: restore the UTC datetime.
    return UTCDateTime().process_result_value(value, db.engine.dialect)
