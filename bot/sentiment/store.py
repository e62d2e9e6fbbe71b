"""Score stored articles that the current backend+model has not scored, and read scores back."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.news.tables import articles
from bot.sentiment.tables import article_sentiment
from bot.sentiment.types import Label, Sentiment, SentimentBackend
from bot.storage import Database
from bot.storage.bulk import execute_many
from bot.utils.workers import run_pipeline_work

log = logging.getLogger(__name__)

# The headline carries the tone; the start of the summary adds context without drowning it.
SUMMARY_CHARS = 300


def article_text(title: str, summary: str) -> str:
    title, summary = title.strip(), summary.strip()[:SUMMARY_CHARS]
    if not summary or summary.startswith(title):
        return summary or title
    return f"{title}. {summary}" if title else summary


def _language(value: str) -> str:
    return value.replace("_", "-").split("-")[0].lower()


def _pending(backend: SentimentBackend, limit: int) -> sa.Select[tuple[int, str, str, str]]:
    scored = sa.exists().where(
        article_sentiment.c.article_id == articles.c.id,
        article_sentiment.c.backend == backend.name,
        article_sentiment.c.model == backend.model,
    )
    return (
        sa.select(articles.c.id, articles.c.title, articles.c.summary, articles.c.language)
        .where(~scored)
        .order_by(articles.c.published_at.desc(), articles.c.id.desc())
        .limit(limit)
    )


async def score_pending(
    db: Database, backend: SentimentBackend, *, limit: int | None = None, batch_size: int = 32
) -> int:
    """Score up to `limit` unscored articles, newest first; returns how many were scored.

    Inference runs in a worker thread, one batch at a time, so the event loop stays free.
    """
    done = 0
    while limit is None or done < limit:
        take = batch_size if limit is None else min(batch_size, limit - done)
        async with db.connection() as conn:
            rows = (await conn.execute(_pending(backend, take))).all()
        if not rows:
            break
        texts = [article_text(r.title, r.summary) for r in rows]
        languages = [_language(r.language) for r in rows]
        results = await run_pipeline_work(backend.score_batch, texts, languages)
        if len(results) != len(rows):
            raise RuntimeError(f"{backend.name} returned {len(results)} scores for {len(rows)}")
        now = datetime.now(UTC)
        values = [
            {
                "article_id": row.id,
                "backend": backend.name,
                "model": backend.model,
                "label": s.label,
                "score": s.score,
                "confidence": s.confidence,
                "scored_at": now,
            }
            for row, s in zip(rows, results, strict=True)
        ]
        async with db.begin() as conn:
            await execute_many(
                conn, db.insert_ignore(article_sentiment, "article_id", "backend", "model"), values
            )
        done += len(rows)
        if len(rows) < take:
            break
    if done:
        log.info("scored %d articles with %s (%s)", done, backend.name, backend.model)
    return done


def _row_sentiment(row: sa.Row[tuple[object, ...]]) -> Sentiment:
    label: Label = row.label
    return Sentiment(label, float(row.score), float(row.confidence), row.backend, row.model)


async def sentiment_for_articles(db: Database, article_ids: Iterable[int]) -> dict[int, Sentiment]:
    """The latest score of each article that has one (for display next to the article)."""
    ids = sorted(set(article_ids))
    latest: dict[int, Sentiment] = {}
    async with db.connection() as conn:
        for start in range(0, len(ids), 500):  # stay well under SQL parameter limits
            rows = await conn.execute(
                sa.select(article_sentiment)
                .where(article_sentiment.c.article_id.in_(ids[start : start + 500]))
                .order_by(article_sentiment.c.scored_at, article_sentiment.c.backend)
            )
            for row in rows:
                latest[row.article_id] = _row_sentiment(row)
    return latest
