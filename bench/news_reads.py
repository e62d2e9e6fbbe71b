"""What one uncached /news question costs the event loop (issue 15's sustained load).

    .venv/bin/python -m bench.news_reads [--feeds 50] [--entries 50] [--rounds 3]

After every pipeline pass the read cache is dropped, and each distinct question (feed set x
hours x coin x language x reader) composes its `news_brief` again on the Discord process's
loop. This seeds a fresh SQLite database with one day of the interactions benchmark's volume
(--feeds x --entries articles of the last 24 h with summaries, half Dutch, stories of one to
about a dozen articles, coins, a score each), asks that benchmark's /news questions one after
another, uncached, and prints per question the main thread's CPU time (the event loop: what
queues every other interaction), the aiosqlite threads' (the queries, off the loop) and the
wall time; and the same for a digest composition per language (`compose_digest`).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench._stats import cpu_delta, thread_cpu
from bot.compose.digest import compose_digest
from bot.compose.news import news_brief
from bot.news.tables import article_coins, articles, feeds, stories
from bot.sentiment.tables import article_sentiment
from bot.storage import Database

COINS = ["BTC", "ETH", "XRP", "SOL", "ADA", "DOGE"]
WORDS = ["bitcoin", "koers", "markt", "ether", "stijgt", "daalt", "record", "etf", "analyst"]


async def seed(db: Database, n_feeds: int, entries: int, now: datetime) -> list[int]:
    """n_feeds x entries clustered, scored articles of the last 24 h; returns the feed ids."""
    rng = random.Random(15)
    async with db.begin() as conn:
        await conn.execute(
            sa.insert(feeds),
            [
                {
                    "url": f"https://feed{n}.example/rss",
                    "name": f"Outlet {n}",
                    "language": "nl" if n % 2 else "en",
                    "created_at": now,
                }
                for n in range(n_feeds)
            ],
        )
        feed_ids = list((await conn.execute(sa.select(feeds.c.id).order_by(feeds.c.id))).scalars())
        total = n_feeds * entries
        story_rows = [
            {
                "title": f"story {s}",
                "language": "en",
                "signature": str(s),
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for s in range(total // 2)
        ]
        await conn.execute(sa.insert(stories), story_rows)
        story_ids = list((await conn.execute(sa.select(stories.c.id))).scalars())
        rows, coin_rows, score_rows = [], [], []
        for n in range(total):
            feed = rng.randrange(n_feeds)
            # Most stories have one report; a few many (skewed, like clustered news).
            story = story_ids[min(int(rng.expovariate(1 / 0.3) * len(story_ids)), total // 2 - 1)]
            when = now - timedelta(seconds=rng.randrange(24 * 3600))
            summary = " ".join(rng.choice(WORDS) for _ in range(60))
            rows.append(
                {
                    "id": n + 1,
                    "feed_id": feed_ids[feed],
                    "story_id": story,
                    "guid": f"g{n}",
                    "link": f"https://feed{feed}.example/a/{n}",
                    "title": f"Headline {n}: " + " ".join(rng.choice(WORDS) for _ in range(8)),
                    "summary": summary,
                    "language": "nl" if feed % 2 else "en",
                    "source": f"Outlet {feed}",
                    "published_at": when,
                    "fetched_at": when,
                }
            )
            for coin in rng.sample(COINS, rng.choice([0, 1, 1, 2])):
                coin_rows.append({"article_id": n + 1, "coin": coin})
            score_rows.append(
                {
                    "article_id": n + 1,
                    "backend": "lexicon",
                    "model": "lexicon-v1",
                    "label": "neutral",
                    "score": rng.uniform(-1, 1),
                    "confidence": 0.5,
                    "scored_at": when,
                }
            )
        await conn.execute(sa.insert(articles), rows)
        await conn.execute(sa.insert(article_coins), coin_rows)
        await conn.execute(sa.insert(article_sentiment), score_rows)
    return feed_ids


def questions() -> list[dict[str, Any]]:
    """The /news questions of bench.interactions' mix (plain, coin, hours, language), for the
    two reader languages."""
    asks = []
    for reader in ("en", "nl"):
        for hours, coin, language in [
            (24, None, None),
            (24, "BTC", None),
            (24, "ETH", None),
            (6, None, None),
            (72, None, None),
            (24, None, "nl"),
            (24, None, "en"),
        ]:
            asks.append({"hours": hours, "coin": coin, "language": language, "reader": reader})
    return asks


async def measure(call: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """(event-loop CPU s, wall s) of one awaited call: nothing else runs on this loop, so the
    main thread's CPU meanwhile is the call's cost to the loop."""
    cpu, wall = time.thread_time(), time.perf_counter()
    await call()
    return time.thread_time() - cpu, time.perf_counter() - wall


async def measure_all(
    calls: list[Callable[[], Awaitable[object]]], rounds: int
) -> tuple[list[tuple[float, float]], float]:
    """Each call's (loop CPU, wall), `rounds` times; and the aiosqlite thread's CPU seconds
    per call (from /proc, 10 ms ticks: only the total over many calls means something)."""
    got = []
    before = thread_cpu()
    for _ in range(rounds):
        for call in calls:
            got.append(await measure(call))
    sqlite = cpu_delta(before, thread_cpu()).get("aiosqlite", 0.0)
    return got, sqlite / len(got)


async def main_async(args: argparse.Namespace) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.connect(f"sqlite:///{Path(tmp) / 'bench.db'}")
        await db.migrate()
        feed_ids = await seed(db, args.feeds, args.entries, now)
        print(f"{args.feeds} feeds x {args.entries} articles in the last 24 h, SQLite")
        asks = [
            lambda ask=ask: news_brief(db, now=now, feed_ids=feed_ids, **ask) for ask in questions()
        ]
        digest = [
            lambda language=language: compose_digest(
                db, feed_ids=feed_ids, language=language, now=now, signal=None
            )
            for language in ("en", "nl")
        ]
        await measure_all(asks[:1], 1)  # warm: connections, compiled statements
        results = [
            ("/news question", *await measure_all(asks, args.rounds)),
            ("digest", *await measure_all(digest, args.rounds)),
        ]
        await db.close()
    for name, got, sqlite in results:
        loop = [g[0] * 1000 for g in got]
        wall = [g[1] * 1000 for g in got]
        print(
            f"per {name} ({len(got)} uncached): event-loop CPU mean {statistics.mean(loop):.1f} ms"
            f" (median {statistics.median(loop):.1f}, max {max(loop):.1f}), aiosqlite thread CPU"
            f" mean {sqlite * 1000:.1f} ms, wall median {statistics.median(wall):.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
