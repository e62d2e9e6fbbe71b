"""Which stored stories are live news: read the recent window once, then view it per feed set.

A story's identity in a channel is its lead article: the first-stored article of the story
among the articles the subscription may see (its server's feed set, in its language filter).
Later articles (a second outlet) never change the lead, so the story is not posted again;
when two stories merge, the merged one keeps the smaller lead, which was already judged.

A story is live only while its lead is fresh: stored from a regular fetch (not a feed's
first fetch, not an item older than the stale limit when stored) and published and fetched
within `max_age` (6 h by default). Catch-up after downtime, a restart, or a new feed's
backlog therefore never floods a channel.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.news.query import VIEW_COLUMNS, StoryView, _view, coin_counts
from bot.news.tables import article_coins, articles
from bot.sentiment.tables import article_sentiment
from bot.storage import Database

STEP = 250  # stories viewed per step of the event loop


@dataclass(frozen=True, slots=True)
class LiveCandidate:
    """One story as one view (feed set, language filter) sees it."""

    lead_article_id: int
    view: StoryView
    fresh: bool  # the lead is recent regular news, not backlog or catch-up
    language: str  # of the view's title and summary (its first report's)
    stored_at: datetime  # when the lead was fetched
    scored: bool = True  # some article of the story has its sentiment score

    @property
    def sources(self) -> int:
        return len(self.view.sources)


@dataclass
class Window:
    """The articles of the stories a scan looks at, grouped by story once; each view (feed
    set, language filter) then only filters them, and views that keep the same articles of a
    story share one StoryView (most servers read the same defaults)."""

    now: datetime
    max_age: timedelta
    stories: dict[int, list[Any]] = field(default_factory=dict)  # story id -> its articles
    coins: dict[int, list[str]] = field(default_factory=dict)
    scored: set[int] = field(default_factory=set)  # article ids with a sentiment score
    _views: dict[tuple[int, ...], StoryView] = field(default_factory=dict)

    def add(self, rows: Iterable[Any]) -> None:
        for r in rows:
            self.stories.setdefault(r.story_id, []).append(r)

    @property
    def newest_id(self) -> int | None:
        return max((r.id for rows in self.stories.values() for r in rows), default=None)

    def candidates(self, feed_ids: Collection[int], language: str | None) -> list[LiveCandidate]:
        """The stories `feed_ids` see (only `language` articles, when given), oldest lead
        first."""
        out = self._candidates(list(self.stories.items()), set(feed_ids), language)
        return sorted(out, key=lambda c: c.lead_article_id)

    async def view(self, feed_ids: Collection[int], language: str | None) -> list[LiveCandidate]:
        """`candidates`, handing the event loop back every STEP stories (a full scan holds
        thousands)."""
        items, wanted, out = list(self.stories.items()), set(feed_ids), []
        for start in range(0, len(items), STEP):
            out += self._candidates(items[start : start + STEP], wanted, language)
            await asyncio.sleep(0)
        return sorted(out, key=lambda c: c.lead_article_id)

    def _candidates(
        self, items: list[tuple[int, list[Any]]], wanted: set[int], language: str | None
    ) -> list[LiveCandidate]:
        cutoff = self.now - self.max_age
        out = []
        for story_id, rows in items:
            group = [
                r
                for r in rows
                if r.feed_id in wanted and (language is None or r.language == language)
            ]
            if not group:
                continue
            lead = min(group, key=lambda r: r.id)
            fresh = (
                not lead.is_backlog
                and lead.published_at >= cutoff
                and lead.fetched_at >= cutoff
                and lead.published_at <= self.now + timedelta(minutes=5)
            )
            key = tuple(sorted(r.id for r in group))
            view = self._views.get(key)
            if view is None:
                view = self._views[key] = _view(story_id, group, coin_counts(group, self.coins))
            first = min(group, key=lambda r: (r.published_at, r.id))  # names the story
            scored = any(r.id in self.scored for r in group)
            out.append(LiveCandidate(lead.id, view, fresh, first.language, lead.fetched_at, scored))
        return out


# What a story view needs, and what decides a lead (its feed, when it was stored, backlog).
_COLUMNS = (*VIEW_COLUMNS, articles.c.feed_id, articles.c.fetched_at, articles.c.is_backlog)


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


async def read_window(
    db: Database, *, now: datetime, max_age: timedelta, after_id: int | None = None
) -> Window:
    """Every article of every story touched in the last `max_age` (older articles included:
    they decide a story's lead), with their coins. A few indexed queries.

    With `after_id`, only the stories that gained an article with a larger id (changed
    since the scan that saw up to `after_id`)."""
    window = Window(now, max_age)
    if after_id is None:
        touched = articles.c.published_at >= now - max_age
    else:
        touched = articles.c.id > after_id
    recent = (
        sa.select(articles.c.story_id).where(touched, articles.c.story_id.is_not(None)).distinct()
    )
    ids: list[int] = []
    async with db.connection() as conn:
        story_ids = sorted((await conn.execute(recent)).scalars())
        for chunk in _chunks(story_ids):
            found = (
                await conn.execute(sa.select(*_COLUMNS).where(articles.c.story_id.in_(chunk)))
            ).all()
            window.add(found)
            ids += [r.id for r in found]
            await asyncio.sleep(0)
        coins: dict[int, list[str]] = defaultdict(list)
        for chunk in _chunks(ids):
            found = await conn.execute(
                sa.select(article_coins.c.article_id, article_coins.c.coin).where(
                    article_coins.c.article_id.in_(chunk)
                )
            )
            for article_id, ticker in found:
                coins[article_id].append(ticker)
            found = await conn.execute(
                sa.select(article_sentiment.c.article_id).where(
                    article_sentiment.c.article_id.in_(chunk)
                )
            )
            window.scored.update(found.scalars())
    window.coins = coins
    return window


async def story_by_lead(
    db: Database,
    lead_article_id: int,
    *,
    feed_ids: Collection[int],
    language: str | None,
    now: datetime,
    max_age: timedelta,
) -> LiveCandidate | None:
    """The story a delivery row points at, rebuilt after a restart; None once it is gone."""
    async with db.connection() as conn:
        story_id = await conn.scalar(
            sa.select(articles.c.story_id).where(articles.c.id == lead_article_id)
        )
        if story_id is None:
            return None
        rows = (
            await conn.execute(sa.select(*_COLUMNS).where(articles.c.story_id == story_id))
        ).all()
        ids = [r.id for r in rows]
        coins: dict[int, list[str]] = defaultdict(list)
        found = await conn.execute(
            sa.select(article_coins.c.article_id, article_coins.c.coin).where(
                article_coins.c.article_id.in_(ids)
            )
        )
        for article_id, ticker in found:
            coins[article_id].append(ticker)
    window = Window(now, max_age, coins=coins)
    window.add(rows)
    for candidate in window.candidates(feed_ids, language):
        if candidate.view.story_id == story_id:
            return candidate
    return None


def split_for_cap(
    todo: list[LiveCandidate], room: int
) -> tuple[list[LiveCandidate], list[LiveCandidate]]:
    """(posted one by one, folded into one "N more stories" post) for `room` posts left."""
    if len(todo) <= room:
        return todo, []
    return todo[: room - 1], todo[room - 1 :]


def matches(candidate: LiveCandidate, *, coin: str | None, min_sources: int) -> bool:
    """A subscription's filters on one story (the language filter made the view)."""
    if coin and coin.upper() not in candidate.view.coins:
        return False
    return candidate.sources >= min_sources


async def newest_article_id(db: Database) -> int:
    async with db.connection() as conn:
        return int(await conn.scalar(sa.select(sa.func.max(articles.c.id))) or 0)


async def first_unclustered_id(db: Database) -> int | None:
    """The smallest id of an article stored but not yet clustered (the pass clusters it
    moments later). A scan's watermark stays below it: the article gets its story after a
    scan saw larger ids, and an incremental scan must still look at it."""
    query = sa.select(sa.func.min(articles.c.id)).where(articles.c.story_id.is_(None))
    async with db.connection() as conn:
        found = await conn.scalar(query)
    return int(found) if found is not None else None


async def backlog_start(
    db: Database,
    *,
    feed_ids: Collection[int],
    language: str | None,
    coin: str | None,
    min_sources: int,
    backlog: int,
    now: datetime,
    max_age: timedelta,
) -> int:
    """`since_article_id` for a new subscription: the newest stored article, or just below
    the newest `backlog` fresh stories it would have received (never older than max_age)."""
    newest = await newest_article_id(db)
    if backlog <= 0:
        return newest
    window = await read_window(db, now=now, max_age=max_age)
    wanted = [
        c
        for c in window.candidates(feed_ids, language)
        if c.fresh and matches(c, coin=coin, min_sources=min_sources)
    ]
    if not wanted:
        return newest
    return min(c.lead_article_id for c in wanted[-backlog:]) - 1
