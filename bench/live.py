"""Live news benchmark: 1,000 live subscriptions across 500 servers, one pass adds 200 stories.

    .venv/bin/python -m bench.live [--subs 1000] [--servers 500] [--stories 200]
        [--latency-ms 20] [--concurrency 8] [--runs 3]

A fresh SQLite database holds six hours of earlier news (--history stories, two articles
each on average, from five default feeds and one own feed per fifth server), so every scan
reads a realistic window. Servers are half Dutch, half English; subscriptions mix the
filters (a quarter BTC only, a quarter Dutch sources only, a tenth at least two sources). Then
a pass stores --stories new stories (some carried by two or three outlets) and the clock
starts: the live tick that follows scans, claims and posts through the in-process sender
(bot.delivery.memory, --latency-ms per post, each embed's text composed). Printed: the time
from the end of the pass to the last post (plus up to LIVE_TICK_SECONDS of waiting for the
tick, 10 s by default), posts per second, and the largest event-loop stall (a 5 ms ticker).
Also the cost of an idle tick (nothing new). Figures are medians of --runs runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench._stats import LoopTicker, median_of
from bot.compose.live import MORE_LISTED, live_text
from bot.config import load_settings
from bot.delivery.engine import DeliveryEngine, DeliveryPolicy, LiveLimits
from bot.delivery.memory import MemorySender
from bot.delivery.messages import LiveMessage, OutMessage
from bot.guilds.feeds import feed_sets
from bot.guilds.tables import guild_feeds
from bot.i18n import Language, use_language
from bot.live.candidates import newest_article_id
from bot.live.tables import live_subscriptions
from bot.news.tables import article_coins, articles, feeds, stories
from bot.runtime.services import open_services
from bot.sentiment.tables import article_sentiment
from bot.storage import Database

TICK = 0.005
DEFAULT_FEEDS = 5
COINS = ["BTC", "ETH", "SOL", "XRP", "ADA", "DOGE"]


class RenderingSender(MemorySender):
    """The in-process sender, composing each post's text as the embed would."""

    async def send(self, channel_id: int, message: OutMessage, *, nonce: str) -> int:
        if isinstance(message, LiveMessage):
            with use_language(message.language):
                for story in message.stories[:MORE_LISTED]:  # what the embed shows
                    live_text(story, message.language)
        return await super().send(channel_id, message, nonce=nonce)


async def seed(
    db: Database, now: datetime, servers: int, history: int, rng: random.Random
) -> list[int]:
    """Feeds, the own feeds of every fifth server, and `history` stories over the last 6 h.
    Returns the server ids."""
    guild_ids = [10_000 + g for g in range(servers)]
    own = {g: 100 + n for n, g in enumerate(guild_ids[::5])}
    async with db.begin() as conn:
        rows = [
            {
                "id": fid,
                "url": f"https://feed{fid}.example/rss",
                "name": f"Outlet {fid}",
                "language": "nl" if fid % 2 else "en",
                "is_default": fid <= DEFAULT_FEEDS,
                "enabled": True,
                "created_at": now - timedelta(days=30),
            }
            for fid in [*range(1, DEFAULT_FEEDS + 1), *own.values()]
        ]
        await conn.execute(sa.insert(feeds), rows)
        await conn.execute(
            sa.insert(guild_feeds),
            [
                {"guild_id": g, "feed_id": f, "added_by": None, "added_at": now}
                for g, f in own.items()
            ],
        )
    await add_stories(db, now, history, list(own.values()), rng, spread=timedelta(hours=6))
    return guild_ids


async def add_stories(
    db: Database,
    now: datetime,
    count: int,
    own_feeds: list[int],
    rng: random.Random,
    spread: timedelta = timedelta(0),
) -> None:
    """`count` stories, each from one to three outlets (mostly defaults), clustered and
    scored."""
    base = await newest_article_id(db)
    async with db.begin() as conn:
        first = int(await conn.scalar(sa.select(sa.func.coalesce(sa.func.max(stories.c.id), 0))))
        story_rows, article_rows, coin_rows, score_rows = [], [], [], []
        article_id = base
        for n in range(count):
            story_id = first + n + 1
            at = now - spread * (1 - n / max(1, count))
            title = f"Story {story_id}: markets move on news item {n}"
            story_rows.append(
                {
                    "id": story_id,
                    "title": title,
                    "language": "en",
                    "signature": title.lower(),
                    "first_seen_at": at,
                    "last_seen_at": at,
                    "article_count": 1,
                }
            )
            outlets = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
            pool = list(range(1, DEFAULT_FEEDS + 1)) + ([rng.choice(own_feeds)] if n % 7 else [])
            for feed_id in rng.sample(pool, outlets):
                article_id += 1
                link = f"https://news.example/{story_id}/{feed_id}"
                article_rows.append(
                    {
                        "id": article_id,
                        "feed_id": feed_id,
                        "story_id": story_id,
                        "guid": link,
                        "link": link,
                        "title": title,
                        "summary": "A summary of the story with some words in it. " * 4,
                        "language": "nl" if feed_id % 2 else "en",
                        "source": f"Outlet {feed_id}",
                        "published_at": at - timedelta(minutes=2),
                        "fetched_at": at,
                        "date_estimated": False,
                        "is_backlog": False,
                    }
                )
                coin_rows.append({"article_id": article_id, "coin": rng.choice(COINS)})
                label = rng.choice(["bullish", "neutral", "bearish"])
                score_rows.append(
                    {
                        "article_id": article_id,
                        "backend": "lexicon",
                        "model": "bench",
                        "label": label,
                        "score": {"bullish": 0.6, "bearish": -0.6}.get(label, 0.0),
                        "confidence": 0.8,
                        "scored_at": at,
                    }
                )
        await conn.execute(sa.insert(stories), story_rows)
        await conn.execute(sa.insert(articles), article_rows)
        await conn.execute(sa.insert(article_coins), coin_rows)
        await conn.execute(sa.insert(article_sentiment), score_rows)  # the pass scores them


async def subscribe_all(db: Database, guild_ids: list[int], subs: int, now: datetime) -> None:
    since = await newest_article_id(db)
    rows: list[dict[str, Any]] = []
    for n in range(subs):
        rows.append(
            {
                "guild_id": guild_ids[n % len(guild_ids)],
                "channel_id": 1_000_000 + n,
                "coin": "BTC" if n % 4 == 1 else None,
                "language": "nl" if n % 4 == 2 else None,
                "min_sources": 2 if n % 10 == 3 else 1,
                "since_article_id": since,
                "created_by": None,
                "created_at": now,
                "enabled": True,
            }
        )
    async with db.begin() as conn:
        await conn.execute(sa.insert(live_subscriptions), rows)


async def one_run(args: argparse.Namespace, seed_value: int) -> dict[str, float]:
    rng = random.Random(seed_value)
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        settings = load_settings(data_dir=Path(tmp), database_url="", sentiment_backend="lexicon")
        async with open_services(settings) as services:
            db = services.db
            now = datetime.now(UTC)
            guild_ids = await seed(db, now - timedelta(minutes=1), args.servers, args.history, rng)
            await subscribe_all(db, guild_ids, args.subs, now - timedelta(minutes=1))
            sender = RenderingSender(nonce_window=None, latency=args.latency_ms / 1000)

            async def language_of(guild_id: int) -> Language:
                return "nl" if guild_id % 2 else "en"

            engine = DeliveryEngine(
                db,
                sender,
                None,  # type: ignore[arg-type]  # no digests here
                language_of=language_of,
                feeds_of=partial(feed_sets, db),
                policy=DeliveryPolicy(concurrency=args.concurrency),
                live=LiveLimits(),
            )
            await engine.deliver_live()  # the first tick: a full scan, nothing new
            gc.collect()
            gc.freeze()  # as the bot does after start-up
            started = time.perf_counter()
            await engine.deliver_live()
            idle = time.perf_counter() - started

            own_feeds = list(range(100, 100 + len(guild_ids[::5])))
            await add_stories(db, datetime.now(UTC), args.stories, own_feeds, rng)  # the pass
            ticker = LoopTicker(TICK)
            monitor = asyncio.create_task(ticker.run())
            await asyncio.sleep(TICK * 2)
            started = time.perf_counter()
            report = await engine.deliver_live()
            elapsed = time.perf_counter() - started
            ticker.stopping = True
            await monitor
            gc.unfreeze()
            posts = len(sender.all_posts())
            assert report.sent == posts > 0, report
            return {
                "elapsed": elapsed,
                "posts": posts,
                "stall": ticker.max_lateness,
                "idle": idle,
                "more": sum(1 for p in sender.all_posts() if p.message.more),  # type: ignore[union-attr]
            }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subs", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=500)
    parser.add_argument("--stories", type=int, default=200)
    parser.add_argument("--history", type=int, default=3000, help="stories in the last 6 h")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    for n in range(args.runs):
        r = await one_run(args, n)
        results.append(r)
        print(
            f"run {n + 1}: {r['posts']:.0f} posts ({r['more']:.0f} 'N more') in "
            f"{r['elapsed']:.2f} s ({r['posts'] / r['elapsed']:.0f}/s), largest loop stall "
            f"{r['stall'] * 1000:.1f} ms, idle tick {r['idle'] * 1000:.1f} ms"
        )
    elapsed = median_of(results, lambda r: r["elapsed"])
    posts = median_of(results, lambda r: r["posts"])
    print(
        f"median of {args.runs}: {args.subs} subscriptions on {args.servers} servers, "
        f"{args.stories} new stories over {args.history} in the window, concurrency "
        f"{args.concurrency}, {args.latency_ms:g} ms per post: end of pass to last post "
        f"{elapsed:.2f} s (+ up to one tick interval), {posts:.0f} posts, "
        f"{posts / elapsed:.0f} posts/s, largest event-loop stall "
        f"{median_of(results, lambda r: r['stall']) * 1000:.1f} ms, idle tick "
        f"{median_of(results, lambda r: r['idle']) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
