"""Store articles once (unique keys + insert-ignore), then group new ones into stories.

Two phases: each feed's articles are inserted as soon as that feed is parsed, without a
story; after the pass, `cluster_pending` walks every unclustered article in publication
order. The order makes clustering independent of which feed answered first, and an article
left unclustered by a crash is picked up by the next pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.news import dedupe
from bot.news.normalize import Article
from bot.news.tables import article_coins, articles, stories
from bot.storage import Database
from bot.storage.types import UTCDateTime


async def store_articles(
    db: Database, feed_id: int, batch: Sequence[Article], *, now: datetime, backlog: bool
) -> int:
    """Insert the articles not stored yet (same feed GUID or same canonical link: skipped).
    Returns how many were new."""
    new = 0
    async with db.begin() as conn:
        for article in batch:
            inserted = await conn.scalar(
                db.insert_ignore(articles)
                .values(
                    feed_id=feed_id,
                    guid=article.guid,
                    link=article.link,
                    title=article.title,
                    summary=article.summary,
                    language=article.language,
                    source=article.source,
                    published_at=article.published_at,
                    fetched_at=now,
                    date_estimated=article.date_estimated,
                    is_backlog=backlog,
                )
                .returning(articles.c.id)
            )
            if inserted is None:
                continue
            new += 1
            if article.coins:
                await conn.execute(
                    article_coins.insert(),
                    [{"article_id": inserted, "coin": c} for c in article.coins],
                )
    return new


@dataclass
class StoryIndex:
    """Recent articles' title tokens by story, in memory for one pass of clustering."""

    candidates: list[dedupe.StoryCandidate] = field(default_factory=list)
    df: Counter[str] = field(default_factory=Counter)
    # token -> positions in `candidates`: only titles that share tokens are compared.
    postings: dict[str, list[int]] = field(default_factory=dict)

    def add(self, candidate: dedupe.StoryCandidate) -> None:
        position = len(self.candidates)
        self.candidates.append(candidate)
        self.df.update(candidate.tokens)
        for token in candidate.tokens:
            self.postings.setdefault(token, []).append(position)

    def match(self, tokens: frozenset[str], published: datetime) -> list[int]:
        shared: Counter[int] = Counter()
        for token in tokens:
            shared.update(self.postings.get(token, ()))
        near = [self.candidates[i] for i, n in shared.items() if n >= dedupe.MIN_SHARED]
        weight = dedupe.idf(self.df, len(self.candidates))
        return dedupe.match_stories(tokens, published, near, weight)

    def related(self, a: int, b: int) -> bool:
        members_a = [c.tokens for c in self.candidates if c.story_id == a]
        members_b = [c.tokens for c in self.candidates if c.story_id == b]
        weight = dedupe.idf(self.df, len(self.candidates))
        return dedupe.should_merge(members_a, members_b, weight)

    def relabel(self, old: int, new: int) -> None:
        self.candidates = [
            replace(c, story_id=new) if c.story_id == old else c for c in self.candidates
        ]

    @classmethod
    async def load(cls, conn: AsyncConnection, *, since: datetime) -> StoryIndex:
        index = cls()
        query = (
            sa.select(articles.c.story_id, articles.c.title, articles.c.published_at)
            .where(articles.c.published_at >= since, articles.c.story_id.is_not(None))
            .order_by(articles.c.published_at, articles.c.id)
        )
        for row in await conn.execute(query):
            tokens = dedupe.title_tokens(row.title)
            index.add(dedupe.StoryCandidate(row.story_id, tokens, row.published_at))
        return index


async def cluster_pending(db: Database) -> int:
    """Give every article without a story one, oldest first. Returns how many were placed."""
    async with db.begin() as conn:
        pending = (
            await conn.execute(
                sa.select(
                    articles.c.id, articles.c.title, articles.c.language, articles.c.published_at
                )
                .where(articles.c.story_id.is_(None))
                .order_by(articles.c.published_at, articles.c.id)
            )
        ).all()
        if not pending:
            return 0
        index = await StoryIndex.load(conn, since=pending[0].published_at - dedupe.STORY_WINDOW)
        for row in pending:
            tokens = dedupe.title_tokens(row.title)
            matches = index.match(tokens, row.published_at)
            if matches:
                story_id = matches[0]
                for other in matches[1:]:
                    if index.related(story_id, other):
                        await _merge(conn, into=story_id, other=other)
                        index.relabel(other, story_id)
            else:
                story_id = await _new_story(conn, row, tokens)
            await conn.execute(
                articles.update().where(articles.c.id == row.id).values(story_id=story_id)
            )
            await _refresh(conn, story_id)
            index.add(dedupe.StoryCandidate(story_id, tokens, row.published_at))
    return len(pending)


async def _new_story(conn: AsyncConnection, row: sa.Row, tokens: frozenset[str]) -> int:
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
    assert story_id is not None
    return int(story_id)


async def _merge(conn: AsyncConnection, *, into: int, other: int) -> None:
    await conn.execute(articles.update().where(articles.c.story_id == other).values(story_id=into))
    await conn.execute(stories.delete().where(stories.c.id == other))


async def _refresh(conn: AsyncConnection, story_id: int) -> None:
    """Recount a story from its articles (portable, and right after merges too)."""
    stats = (
        await conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.min(articles.c.published_at),
                sa.func.max(articles.c.published_at),
            ).where(articles.c.story_id == story_id)
        )
    ).one()
    count, first, last = stats
    utc = UTCDateTime()  # aggregates come back untyped on SQLite
    await conn.execute(
        stories.update()
        .where(stories.c.id == story_id)
        .values(
            article_count=count,
            first_seen_at=utc.process_result_value(first, conn.dialect),
            last_seen_at=utc.process_result_value(last, conn.dialect),
        )
    )
