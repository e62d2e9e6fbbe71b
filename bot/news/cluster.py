"""Group new articles into stories, after each ingest pass.

`cluster_pending` walks every article without a story in publication order, so the outcome
does not depend on which feed answered first, and an article left unclustered by a crash is
picked up by the next pass. The comparison itself (bot/news/dedupe.py) runs in a thread;
the outcome is written in batches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.news import dedupe
from bot.news.store import chunks
from bot.news.tables import articles, stories
from bot.storage import Database
from bot.storage.types import UTCDateTime
from bot.utils.workers import run_pipeline_work


@dataclass
class StoryIndex:
    """Recent articles' title tokens by story, in memory for one clustering pass.

    Story keys are real story ids, or negative numbers for stories created in this pass
    (written at the end). Merged stories are tracked with union-find.
    """

    candidates: list[dedupe.StoryCandidate] = field(default_factory=list)
    df: Counter[str] = field(default_factory=Counter)
    context_df: Counter[str] = field(default_factory=Counter)
    # token -> positions in `candidates`: only titles that share tokens are compared.
    postings: dict[str, list[int]] = field(default_factory=dict)
    parent: dict[int, int] = field(default_factory=dict)
    members: dict[int, list[frozenset[str]]] = field(default_factory=dict)

    def find(self, key: int) -> int:
        while self.parent.get(key, key) != key:
            key = self.parent[key]
        return key

    def add(self, candidate: dedupe.StoryCandidate) -> None:
        position = len(self.candidates)
        self.candidates.append(candidate)
        self.df.update(candidate.tokens)
        self.context_df.update(candidate.context)
        for token in candidate.tokens:
            self.postings.setdefault(token, []).append(position)
        self.members.setdefault(self.find(candidate.story_id), []).append(candidate.tokens)

    def match(
        self, tokens: frozenset[str], published: datetime, context: frozenset[str]
    ) -> list[int]:
        shared: Counter[int] = Counter()
        for token in tokens:
            shared.update(self.postings.get(token, ()))
        near = []
        for i, n in shared.items():
            if n >= dedupe.MIN_SHARED:
                cand = self.candidates[i]
                near.append(replace(cand, story_id=self.find(cand.story_id)))
        n = len(self.candidates)
        return dedupe.match_stories(
            tokens,
            published,
            near,
            dedupe.idf(self.df, n),
            context=context,
            context_weight=dedupe.idf(self.context_df, n),
        )

    def related(self, a: int, b: int) -> bool:
        weight = dedupe.idf(self.df, len(self.candidates))
        return dedupe.should_merge(self.members.get(a, []), self.members.get(b, []), weight)

    def union(self, into: int, other: int) -> None:
        self.parent[other] = into
        self.members.setdefault(into, []).extend(self.members.pop(other, []))

    @classmethod
    def build(cls, rows: Sequence[Any]) -> StoryIndex:
        index = cls()
        for row in rows:
            index.add(
                dedupe.StoryCandidate(
                    row.story_id,
                    dedupe.title_tokens(row.title),
                    row.published_at,
                    dedupe.context_tokens(row.title, row.summary),
                )
            )
        return index


async def cluster_pending(db: Database) -> int:
    """Give every article without a story one, oldest first. Returns how many were placed."""
    async with db.begin() as conn:
        pending = (
            await conn.execute(
                sa.select(
                    articles.c.id,
                    articles.c.title,
                    articles.c.summary,
                    articles.c.language,
                    articles.c.published_at,
                )
                .where(articles.c.story_id.is_(None))
                .order_by(articles.c.published_at, articles.c.id)
            )
        ).all()
        if not pending:
            return 0
        since = pending[0].published_at - dedupe.STORY_WINDOW
        recent = (
            await conn.execute(
                sa.select(
                    articles.c.story_id,
                    articles.c.title,
                    articles.c.summary,
                    articles.c.published_at,
                )
                .where(articles.c.published_at >= since, articles.c.story_id.is_not(None))
                .order_by(articles.c.published_at, articles.c.id)
            )
        ).all()
        # Tokenising and comparing titles is CPU work: off the event loop.
        plan = await run_pipeline_work(_plan, recent, pending)
        await _write(conn, *plan)
    return len(pending)


def _plan(
    recent: Sequence[Any], pending: Sequence[Any]
) -> tuple[StoryIndex, list[tuple[int, int]], dict[int, Any]]:
    """Decide each pending article's story (pure; the caller writes the outcome)."""
    index = StoryIndex.build(recent)
    assigned: list[tuple[int, int]] = []  # (article id, story key)
    created: dict[int, Any] = {}  # provisional key -> (row, tokens)
    for row in pending:
        tokens = dedupe.title_tokens(row.title)
        context = dedupe.context_tokens(row.title, row.summary)
        matches = index.match(tokens, row.published_at, context)
        if matches:
            key = matches[0]
            for other in matches[1:]:
                if index.related(key, other):
                    index.union(key, other)
        else:
            key = -(len(created) + 1)
            created[key] = (row, tokens)
        assigned.append((row.id, key))
        index.add(dedupe.StoryCandidate(key, tokens, row.published_at, context))
    return index, assigned, created


async def _write(
    conn: AsyncConnection,
    index: StoryIndex,
    assigned: list[tuple[int, int]],
    created: dict[int, Any],
) -> None:
    """Persist one clustering pass: new stories, merges, article links, story counts."""
    real: dict[int, int] = {}
    for key, (row, tokens) in created.items():
        if index.find(key) != key:
            continue  # merged into another story before it was ever written
        story_id = await conn.scalar(
            stories.insert()
            .values(
                title=row.title,
                language=row.language,
                signature=dedupe.signature(tokens),
                first_seen_at=row.published_at,
                last_seen_at=row.published_at,
                article_count=0,
            )
            .returning(stories.c.id)
        )
        real[key] = int(story_id)

    def resolve(key: int) -> int:
        root = index.find(key)
        return real.get(root, root)

    # Stored stories merged away in this pass: move their articles, drop them.
    for old in [k for k in index.parent if k > 0 and index.find(k) != k]:
        await conn.execute(
            articles.update().where(articles.c.story_id == old).values(story_id=resolve(old))
        )
        await conn.execute(stories.delete().where(stories.c.id == old))
    await conn.execute(
        articles.update()
        .where(articles.c.id == sa.bindparam("article_id"))
        .values(story_id=sa.bindparam("story")),
        [{"article_id": a, "story": resolve(k)} for a, k in assigned],
    )
    touched = sorted({resolve(k) for _, k in assigned})
    utc = UTCDateTime()  # aggregates come back untyped on SQLite
    for chunk in chunks(touched):
        stats = await conn.execute(
            sa.select(
                articles.c.story_id,
                sa.func.count(),
                sa.func.min(articles.c.published_at),
                sa.func.max(articles.c.published_at),
            )
            .where(articles.c.story_id.in_(chunk))
            .group_by(articles.c.story_id)
        )
        await conn.execute(
            stories.update()
            .where(stories.c.id == sa.bindparam("sid"))
            .values(
                article_count=sa.bindparam("n"),
                first_seen_at=sa.bindparam("first", type_=UTCDateTime),
                last_seen_at=sa.bindparam("last", type_=UTCDateTime),
            ),
            [
                {
                    "sid": sid,
                    "n": n,
                    "first": utc.process_result_value(first, conn.dialect),
                    "last": utc.process_result_value(last, conn.dialect),
                }
                for sid, n, first, last in stats
            ],
        )
