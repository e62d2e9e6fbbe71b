"""Stored translations: what the pipeline still has to translate, saving results, reading them.

The pipeline writes (`pending`, `save_translations`); commands and digests only read
(`translations_for`), so a reply never waits for a model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from bot.news.tables import articles
from bot.storage import Database
from bot.storage.bulk import execute_many
from bot.text_limits import SUMMARY_CHARS, TITLE_CHARS, clip
from bot.translate.tables import article_translations

Status = Literal["ok", "fallback"]
PROBLEMS_CHARS = 300


@dataclass(frozen=True)
class PendingArticle:
    article_id: int
    source_lang: str
    title: str
    summary: str


@dataclass(frozen=True)
class Translation:
    article_id: int
    target_lang: str
    source_lang: str
    model: str
    title: str
    summary: str
    status: Status
    problems: str | None = None


def _primary(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


async def pending(
    db: Database, *, target_lang: str, model: str, limit: int, source_lang: str | None = None
) -> list[PendingArticle]:
    """Articles not in `target_lang` that `model` has not translated yet, newest first.

    `source_lang` keeps only articles in that language: a model translates one direction,
    and stories in a third language ("other") would otherwise take the first places forever.
    """
    done = sa.exists().where(
        article_translations.c.article_id == articles.c.id,
        article_translations.c.target_lang == target_lang,
        article_translations.c.model == model,
    )
    wanted = [~done, articles.c.language != target_lang]
    if source_lang is not None:
        wanted.append(articles.c.language == source_lang)
    query = (
        sa.select(articles.c.id, articles.c.language, articles.c.title, articles.c.summary)
        .where(*wanted)
        .order_by(articles.c.published_at.desc(), articles.c.id.desc())
        .limit(limit)
    )
    async with db.connection() as conn:
        rows = (await conn.execute(query)).all()
    # Stored languages are primary subtags already; _primary guards rows like "nl-BE".
    return [
        PendingArticle(r.id, _primary(r.language), r.title, r.summary)
        for r in rows
        if _primary(r.language) != target_lang
    ]


async def save_translations(db: Database, results: Sequence[Translation], *, now: datetime) -> None:
    """Store results; a row already there (another process got first) is kept."""
    if not results:
        return
    values = [
        {
            "article_id": t.article_id,
            "target_lang": t.target_lang,
            "model": t.model[:255],
            "source_lang": t.source_lang,
            "title": clip(t.title, TITLE_CHARS),
            "summary": clip(t.summary, SUMMARY_CHARS),
            "status": t.status,
            "problems": clip(t.problems, PROBLEMS_CHARS) if t.problems else None,
            "translated_at": now,
        }
        for t in results
    ]
    async with db.begin() as conn:
        await execute_many(
            conn,
            db.insert_ignore(article_translations, "article_id", "target_lang", "model"),
            values,
        )


async def translations_for(
    db: Database, article_ids: Iterable[int], target_lang: str
) -> dict[int, Translation]:
    """The newest translation into `target_lang` of each article that has one, any model.

    Fallback rows are returned too (with the original text), so callers can tell "not
    translated yet" from "translation refused".
    """
    ids = sorted(set(article_ids))
    found: dict[int, Translation] = {}
    t = article_translations.c
    async with db.connection() as conn:
        for start in range(0, len(ids), 500):  # stay well under SQL parameter limits
            rows = await conn.execute(
                sa.select(article_translations)
                .where(t.article_id.in_(ids[start : start + 500]), t.target_lang == target_lang)
                .order_by(t.translated_at, t.model)
            )
            for r in rows:
                found[r.article_id] = Translation(
                    r.article_id,
                    r.target_lang,
                    r.source_lang,
                    r.model,
                    r.title,
                    r.summary,
                    r.status,
                    r.problems,
                )
    return found
