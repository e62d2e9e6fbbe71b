"""Group new articles into stories, after each ingest pass.

`cluster_pending` walks every article without a story in publication order, so the outcome
does not depend on which feed answered first, and an article left unclustered by a crash is
picked up by the next pass. The comparison itself (bot/news/dedupe.py) runs in a thread;
the outcome is written in batches.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.news import dedupe, figures
from bot.news.store import chunks
from bot.news.tables import articles, stories
from bot.storage import Database
from bot.storage.bulk import execute_many
from bot.storage.types import UTCDateTime
from bot.utils.workers import run_pipeline_work

# An article's candidates come from an inverted index, and every step is bounded, so a pass
# stays linear in its articles however alike their titles are (templated headlines share
# most words with hundreds of others): only rare tokens are looked up, posting lists keep
# their newest titles, and a fixed number of the best-ranked candidates is scored.
LOOKUP_TOKENS = 4  # a title's rarest tokens that find its candidates
RARE = 32  # tokens in fewer titles are always looked up ("conditional", "juventus")
POSTINGS_CAP = 64  # newest titles kept per token: "bitcoin" finds recent titles only
SCORED = 16  # candidate titles scored per article, best lookup overlap first
EXAMINED = 4 * SCORED  # ranked candidates examined to find them (skipping hopeless ones)
PER_STORY = 3  # at most this many of them from one story, so several stories get a look
MEMBER_SAMPLE = 4  # recent titles per story compared when an article bridges two stories
MERGE_CHECKS = 4  # other stories matched that may merge into the best (more: a round-up)
# Similarity computations per article: a title and a summary check per candidate, and the
# merge checks. The whole pass is linear in its articles.
MAX_COMPARISONS = 2 * SCORED + MERGE_CHECKS * MEMBER_SAMPLE**2


@dataclass
class StoryIndex:
    """Recent articles' title tokens by story, in memory for one clustering pass.

    Story keys are real story ids, or negative numbers for stories created in this pass
    (written at the end). Merged stories are tracked with union-find.
    """

    candidates: list[dedupe.StoryCandidate] = field(default_factory=list)
    df: Counter[str] = field(default_factory=Counter)
    context_df: Counter[str] = field(default_factory=Counter)
    # token -> positions in `candidates`, oldest first; only the newest POSTINGS_CAP are read.
    postings: dict[str, list[int]] = field(default_factory=dict)
    parent: dict[int, int] = field(default_factory=dict)
    # story -> a few recent distinct titles, for `related`.
    members: dict[int, list[frozenset[str]]] = field(default_factory=dict)

    def find(self, key: int) -> int:
        parent = self.parent
        while (up := parent.get(key, key)) != key:
            parent[key] = parent.get(up, up)  # path halving keeps chains short
            key = parent[key]
        return key

    def add(self, candidate: dedupe.StoryCandidate) -> None:
        position = len(self.candidates)
        self.candidates.append(candidate)
        self.df.update(candidate.tokens)
        self.context_df.update(candidate.context)
        for token in candidate.tokens:
            posting = self.postings.setdefault(token, [])
            posting.append(position)
            if len(posting) >= 2 * POSTINGS_CAP:
                del posting[:-POSTINGS_CAP]  # trimmed in batches: amortised O(1)
        sample = self.members.setdefault(self.find(candidate.story_id), [])
        if candidate.tokens not in sample:
            sample.append(candidate.tokens)
            del sample[:-MEMBER_SAMPLE]

    def lookup(self, tokens: frozenset[str], published: datetime) -> list[dedupe.StoryCandidate]:
        """At most SCORED titles worth scoring against `tokens`, labelled with their story.

        Rare tokens carry a story ("juventus", "$50M"), common ones ("bitcoin") find
        everything: candidates are the titles that share the title's rarest tokens, ranked
        by the IDF weight they share, then by recency.
        """
        df = self.df
        known = sorted((t for t in tokens if t in self.postings), key=lambda t: (df[t], t))
        rare = [t for t in known[LOOKUP_TOKENS:] if df[t] <= RARE]
        weight = dedupe.idf(df, len(self.candidates))
        shared: dict[int, float] = {}
        for token in known[:LOOKUP_TOKENS] + rare:
            w = weight(token)
            for i in self.postings[token][-POSTINGS_CAP:]:
                shared[i] = shared.get(i, 0.0) + w
        picked: list[dedupe.StoryCandidate] = []
        per_story: Counter[int] = Counter()
        for i in heapq.nsmallest(EXAMINED, shared, key=lambda i: (-shared[i], -i)):
            cand = self.candidates[i]
            if abs(published - cand.published_at) > dedupe.STORY_WINDOW:
                continue
            story = self.find(cand.story_id)
            if per_story[story] == PER_STORY or figures.disagree(tokens, cand.tokens):
                continue  # enough of that story, or its figures rule it out
            per_story[story] += 1
            picked.append(
                dedupe.StoryCandidate(story, cand.tokens, cand.published_at, cand.context)
            )
            if len(picked) == SCORED:
                break
        return picked

    def match(
        self, tokens: frozenset[str], published: datetime, context: frozenset[str]
    ) -> list[int]:
        n = len(self.candidates)
        return dedupe.match_stories(
            tokens,
            published,
            self.lookup(tokens, published),
            dedupe.idf(self.df, n),
            context=context,
            context_weight=dedupe.idf(self.context_df, n),
        )

    def related(self, a: int, b: int) -> bool:
        weight = dedupe.idf(self.df, len(self.candidates))
        return dedupe.should_merge(self.members.get(a, []), self.members.get(b, []), weight)

    def union(self, into: int, other: int) -> None:
        self.parent[other] = into
        merged = self.members.get(into, []) + self.members.pop(other, [])
        self.members[into] = merged[-MEMBER_SAMPLE:]

    @classmethod
    def build(cls, rows: Sequence[Any]) -> StoryIndex:
        index = cls()
        for row in rows:
            tokens = dedupe.title_tokens(row.title)
            context = tokens | dedupe.title_tokens(row.summary)  # dedupe.context_tokens
            index.add(dedupe.StoryCandidate(row.story_id, tokens, row.published_at, context))
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
        outcome = await run_pipeline_work(plan, recent, pending)
        await _write(conn, *outcome)
    return len(pending)


def plan(
    recent: Sequence[Any], pending: Sequence[Any]
) -> tuple[StoryIndex, list[tuple[int, int]], dict[int, Any]]:
    """Decide each pending article's story (pure; the caller writes the outcome)."""
    index = StoryIndex.build(recent)
    assigned: list[tuple[int, int]] = []  # (article id, story key)
    created: dict[int, Any] = {}  # provisional key -> (row, tokens)
    for row in pending:
        tokens = dedupe.title_tokens(row.title)
        context = tokens | dedupe.title_tokens(row.summary)  # dedupe.context_tokens
        matches = index.match(tokens, row.published_at, context)
        if matches:
            key = matches[0]
            for other in matches[1 : 1 + MERGE_CHECKS]:
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
    await execute_many(
        conn,
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
        await execute_many(
            conn,
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
