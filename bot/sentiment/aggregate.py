"""Sentiment over a period, optionally for one coin: mean score, label counts, the change.

`summarize` is pure (scores in, numbers out, `now` given); `sentiment_summary` computes the
same from the database, which sums the latest score of each article published in the current
and the previous period (SQL window and aggregate functions, on SQLite and PostgreSQL).
`feed_ids` limits the articles to those feeds (a server's feed set); None reads every feed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.news.tables import article_coins, articles
from bot.sentiment.tables import article_sentiment
from bot.sentiment.types import LABELS, Label
from bot.storage import Database

PERIODS: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}


@dataclass(frozen=True)
class ScoredArticle:
    article_id: int
    published_at: datetime
    label: Label
    score: float
    backend: str
    model: str


@dataclass(frozen=True)
class PeriodStats:
    start: datetime
    end: datetime
    articles: int
    mean_score: float | None
    counts: dict[Label, int]


@dataclass(frozen=True)
class SentimentSummary:
    period: str
    coin: str | None
    current: PeriodStats
    previous: PeriodStats
    # (backend, model) -> articles in the current period it scored: the basis to show.
    sources: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def change(self) -> float | None:
        """Mean score now minus the previous period's; None when either has no articles."""
        if self.current.mean_score is None or self.previous.mean_score is None:
            return None
        return self.current.mean_score - self.previous.mean_score


def period_length(period: str) -> timedelta:
    try:
        return PERIODS[period]
    except KeyError:
        raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}") from None


def _stats(items: list[ScoredArticle], start: datetime, end: datetime) -> PeriodStats:
    counts = Counter(item.label for item in items)
    mean = sum(item.score for item in items) / len(items) if items else None
    return PeriodStats(start, end, len(items), mean, {label: counts[label] for label in LABELS})


def summarize(
    scored: Iterable[ScoredArticle], *, period: str, now: datetime, coin: str | None = None
) -> SentimentSummary:
    """Stats for (now - period, now] and the period before it."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    length = period_length(period)
    start, previous_start = now - length, now - 2 * length
    current = [s for s in scored if start < s.published_at <= now]
    previous = [s for s in scored if previous_start < s.published_at <= start]
    sources = Counter((s.backend, s.model) for s in current)
    return SentimentSummary(
        period=period,
        coin=coin,
        current=_stats(current, start, now),
        previous=_stats(previous, previous_start, start),
        sources=dict(sources),
    )


def _ranked_scores(
    *,
    since: datetime,
    until: datetime,
    coin: str | None,
    prefer: tuple[str, str] | None,
    feed_ids: Collection[int] | None,
) -> sa.Subquery:
    """Every score of the articles published in (since, until], `rank` 1 for the one to use:
    `prefer`'s if the article has one, else the latest."""
    score = article_sentiment.c
    preferred: sa.ColumnElement[int] = (
        sa.case((sa.and_(score.backend == prefer[0], score.model == prefer[1]), 1), else_=0)
        if prefer
        else sa.literal(0)
    )
    rank = sa.func.row_number().over(
        partition_by=score.article_id, order_by=(preferred.desc(), score.scored_at.desc())
    )
    query = (
        sa.select(
            articles.c.id,
            articles.c.published_at,
            score.label,
            score.score,
            score.backend,
            score.model,
            rank.label("rank"),
        )
        .join(article_sentiment, score.article_id == articles.c.id)
        .where(articles.c.published_at > since, articles.c.published_at <= until)
    )
    if coin:
        query = query.where(
            sa.exists().where(
                article_coins.c.article_id == articles.c.id,
                article_coins.c.coin == coin.upper(),
            )
        )
    if feed_ids is not None:
        query = query.where(articles.c.feed_id.in_(list(feed_ids)))
    return query.subquery("ranked")


async def load_scored(
    db: Database,
    *,
    since: datetime,
    until: datetime,
    coin: str | None = None,
    prefer: tuple[str, str] | None = None,
    feed_ids: Collection[int] | None = None,
) -> list[ScoredArticle]:
    """One score per article published in (since, until]: `prefer`'s if any, else the latest."""
    ranked = _ranked_scores(since=since, until=until, coin=coin, prefer=prefer, feed_ids=feed_ids)
    query = sa.select(ranked).where(ranked.c.rank == 1)
    async with db.connection() as conn:
        rows = await conn.execute(query)
    return [
        ScoredArticle(row.id, row.published_at, row.label, float(row.score), row.backend, row.model)
        for row in rows
    ]


async def sentiment_summary(
    db: Database,
    *,
    period: str = "24h",
    coin: str | None = None,
    now: datetime | None = None,
    prefer: tuple[str, str] | None = None,
    feed_ids: Collection[int] | None = None,
) -> SentimentSummary:
    """`summarize` of `load_scored`, summed in the database: a few rows per call, whatever the
    number of articles in the window (a 30-day /sentiment read them all into Python)."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    length = period_length(period)
    start, previous_start = now - length, now - 2 * length
    ranked = _ranked_scores(
        since=previous_start, until=now, coin=coin, prefer=prefer, feed_ids=feed_ids
    )
    current = sa.case((ranked.c.published_at > start, 1), else_=0).label("current")
    query = (
        sa.select(
            current,
            ranked.c.label,
            ranked.c.backend,
            ranked.c.model,
            sa.func.count().label("n"),
            sa.func.sum(ranked.c.score).label("total"),
        )
        .where(ranked.c.rank == 1)
        .group_by(current, ranked.c.label, ranked.c.backend, ranked.c.model)
    )
    totals: dict[bool, _Totals] = {True: _Totals(), False: _Totals()}
    sources: Counter[tuple[str, str]] = Counter()
    async with db.connection() as conn:
        for row in await conn.execute(query):
            totals[bool(row.current)].add(row.label, int(row.n), float(row.total))
            if row.current:
                sources[(row.backend, row.model)] += int(row.n)
    return SentimentSummary(
        period=period,
        coin=coin.upper() if coin else None,
        current=totals[True].stats(start, now),
        previous=totals[False].stats(previous_start, start),
        sources=dict(sources),
    )


@dataclass
class _Totals:
    articles: int = 0
    total: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, label: str, n: int, total: float) -> None:
        self.articles += n
        self.total += total
        self.counts[label] += n

    def stats(self, start: datetime, end: datetime) -> PeriodStats:
        mean = self.total / self.articles if self.articles else None
        counts: dict[Label, int] = {label: self.counts[label] for label in LABELS}
        return PeriodStats(start, end, self.articles, mean, counts)


async def latest_scored_at(
    db: Database, *, feed_ids: Collection[int] | None = None
) -> datetime | None:
    """When the newest article with a score was published (to explain an empty period)."""
    query = sa.select(sa.func.max(articles.c.published_at)).where(
        sa.exists().where(article_sentiment.c.article_id == articles.c.id)
    )
    if feed_ids is not None:
        query = query.where(articles.c.feed_id.in_(list(feed_ids)))
    async with db.connection() as conn:
        value = await conn.scalar(query)
    if isinstance(value, str):  # SQLite hands aggregates back as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and not value.tzinfo else value
