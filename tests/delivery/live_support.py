"""What the live delivery tests script: feeds, stories and articles written straight into the
store (as the pipeline would), and subscriptions."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.live import store
from bot.live.candidates import newest_article_id
from bot.live.tables import live_deliveries
from bot.news.tables import article_coins, articles, feeds, stories
from bot.sentiment.tables import article_sentiment
from bot.storage import Database

_links = itertools.count(1)


async def add_feeds(db: Database, now: datetime, *ids: int, default: bool = True) -> None:
    async with db.begin() as conn:
        for feed_id in ids:
            await conn.execute(
                feeds.insert().values(
                    id=feed_id,
                    url=f"https://feed{feed_id}.example/rss",
                    name=f"Outlet {feed_id}",
                    language="en",
                    is_default=default,
                    enabled=True,
                    created_at=now,
                )
            )


async def add_article(
    db: Database,
    now: datetime,
    *,
    feed: int = 1,
    title: str = "Bitcoin breaks a record",
    story: int | None = None,
    language: str = "en",
    coins: tuple[str, ...] = ("BTC",),
    age: timedelta = timedelta(minutes=5),
    backlog: bool = False,
    label: str | None = "bullish",
) -> tuple[int, int]:
    """One stored, clustered article (a new story unless `story`), scored `label` (None:
    not scored yet): (story id, article id)."""
    link = f"https://news.example/{next(_links)}"
    async with db.begin() as conn:
        if story is None:
            story = await conn.scalar(
                stories.insert()
                .values(
                    title=title,
                    language=language,
                    signature=title.lower(),
                    first_seen_at=now - age,
                    last_seen_at=now - age,
                    article_count=1,
                )
                .returning(stories.c.id)
            )
        article = await conn.scalar(
            articles.insert()
            .values(
                feed_id=feed,
                story_id=story,
                guid=link,
                link=link,
                title=title,
                summary=f"{title}: the details.",
                language=language,
                source=f"Outlet {feed}",
                published_at=now - age,
                fetched_at=now,
                date_estimated=False,
                is_backlog=backlog,
            )
            .returning(articles.c.id)
        )
        for coin in coins:
            await conn.execute(article_coins.insert().values(article_id=article, coin=coin))
    if label is not None:
        await score(db, int(article), label, now)
    assert story is not None and article is not None
    return int(story), int(article)


async def score(db: Database, article_id: int, label: str, now: datetime) -> None:
    value = {"bullish": 0.8, "bearish": -0.8}.get(label, 0.0)
    async with db.begin() as conn:
        await conn.execute(
            article_sentiment.insert().values(
                article_id=article_id,
                backend="lexicon",
                model="test",
                label=label,
                score=value,
                confidence=0.9,
                scored_at=now,
            )
        )


async def live_subscribe(
    db: Database,
    now: datetime,
    channel: int,
    *,
    guild: int = 1,
    coin: str | None = None,
    language: str | None = None,
    min_sources: int = 1,
) -> store.LiveSubscription:
    return await store.subscribe(
        db,
        guild_id=guild,
        channel_id=channel,
        filters=store.LiveFilters(coin, language, min_sources),
        since_article_id=await newest_article_id(db),
        created_by=None,
        now=now,
    )


async def live_rows(db: Database) -> list[sa.Row]:
    async with db.connection() as conn:
        query = sa.select(live_deliveries).order_by(live_deliveries.c.id)
        return list((await conn.execute(query)).all())
