"""Two tenants in one database: the configured defaults, and six feeds one server added
(the issue #11 attack: one phishing headline about a coin nobody else names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.guilds.feeds import add_guild_feed
from bot.news.feeds import FeedSpec, sync_feeds
from bot.news.tables import article_coins, articles, stories
from bot.sentiment.tables import article_sentiment
from bot.storage import Database

HOSTILE, OTHER = 111, 222
PHISH = "@everyone Hedera airdrop: verify your wallet now to receive 5,000 HBAR"
DEFAULTS = [
    FeedSpec("Daily", "https://daily.example/rss", "en"),
    FeedSpec("Nieuws", "https://nieuws.example/rss", "nl"),
]
# (feed, title, language, hours ago, coins, score) of the default feeds' articles.
REAL = [
    ("Daily", "Bitcoin surges past record as ETF inflows grow", "en", 1, ["BTC"], 0.6),
    ("Daily", "Ethereum upgrade delayed by a week", "en", 2, ["ETH"], -0.3),
    ("Nieuws", "Bitcoin stijgt naar recordhoogte", "nl", 3, ["BTC"], 0.5),
]


@dataclass(frozen=True)
class Tenants:
    defaults: list[int]  # the configured feeds' ids
    hostile: list[int]  # the feeds the hostile server added


async def seed_tenants(db: Database, now: datetime) -> Tenants:
    """Defaults with three real articles; six own feeds of HOSTILE carrying PHISH (HBAR,
    very bullish), all scored; the hostile articles are the newest."""
    synced = await sync_feeds(db, DEFAULTS, now=now)
    by_name = {f.name: f.id for f in synced}
    hostile = []
    for n in range(1, 7):
        feed = await add_guild_feed(
            db,
            HOSTILE,
            url=f"https://alerts{n}.example/rss",
            name=f"Hedera Alerts {n}",
            language="en",
            added_by=1,
            limit=10,
            now=now,
        )
        hostile.append(feed.id)
    rows = [
        (by_name[f], title, lang, hours, coins, score)
        for f, title, lang, hours, coins, score in REAL
    ]
    rows += [(fid, PHISH, "en", 0.5, ["HBAR"], 0.9) for fid in hostile]
    async with db.begin() as conn:
        story_of: dict[str, int] = {}
        for n, (feed_id, title, lang, hours, coins, score) in enumerate(rows):
            if title not in story_of:
                story_of[title] = (
                    await conn.execute(
                        sa.insert(stories).values(
                            title=title,
                            language=lang,
                            signature=str(n),
                            first_seen_at=now,
                            last_seen_at=now,
                        )
                    )
                ).inserted_primary_key[0]
            when = now - timedelta(hours=hours)
            article_id = (
                await conn.execute(
                    sa.insert(articles).values(
                        feed_id=feed_id,
                        story_id=story_of[title],
                        guid=f"a{n}",
                        link=f"https://x.example/{n}",
                        title=title,
                        summary=title,
                        language=lang,
                        source=f"feed {feed_id}",
                        published_at=when,
                        fetched_at=when,
                    )
                )
            ).inserted_primary_key[0]
            for coin in coins:
                await conn.execute(
                    sa.insert(article_coins).values(article_id=article_id, coin=coin)
                )
            label = "bullish" if score > 0.1 else "bearish" if score < -0.1 else "neutral"
            await conn.execute(
                sa.insert(article_sentiment).values(
                    article_id=article_id,
                    backend="lexicon",
                    model="lexicon-v1",
                    label=label,
                    score=score,
                    confidence=0.8,
                    scored_at=when,
                )
            )
    return Tenants(sorted(by_name.values()), hostile)
