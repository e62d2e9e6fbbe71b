"""Digest delivery benchmark: 1,000 subscriptions due in the same minute, composed and sent.

    .venv/bin/python bench/digest.py [--subs 1000] [--latency-ms 20] [--runs 3]

A fresh SQLite database gets the bundled sample feeds (ingested offline), their sentiment
scores (offline lexicon) and the bundled market history, so composing does its real work.
Half the servers read Dutch, half English. The sender is in-process (bot.digest.memory) with
a simulated Discord round trip of --latency-ms per post and renders each digest to text, as
an embed renderer would. Prints total time, digests/s and the largest event-loop stall,
measured by a ticker task that wakes every 5 ms and records how late it woke. Figures are
medians of --runs runs (each on a fresh database).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bot.app import open_services
from bot.config import load_settings
from bot.digest.compose import DigestComposer
from bot.digest.delivery import DeliveryEngine, DeliveryPolicy
from bot.digest.memory import MemorySender
from bot.digest.messages import AlertMessage, DigestMessage
from bot.digest.schedule import next_run
from bot.digest.tables import digest_subscriptions
from bot.digest.text import render_digest_text
from bot.i18n import Language
from bot.news.pipeline import ingest
from bot.news.query import latest_article_time
from bot.news.samples import sample_feeds
from bot.sentiment.lexicon import LexiconBackend
from bot.sentiment.store import score_pending

TICK = 0.005


class SlowSender(MemorySender):
    """A Discord round trip per post, plus rendering the message as the real sender would."""

    def __init__(self, latency: float) -> None:
        super().__init__(nonce_window=None)
        self.latency = latency

    async def send(
        self, channel_id: int, message: DigestMessage | AlertMessage, *, nonce: str
    ) -> int:
        if isinstance(message, DigestMessage):
            render_digest_text(message.digest)
        await asyncio.sleep(self.latency)
        return await super().send(channel_id, message, nonce=nonce)


async def stall_monitor(stop: asyncio.Event, worst: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(TICK)
        worst[0] = max(worst[0], loop.time() - start - TICK)


async def one_run(
    subs: int, latency: float, concurrency: int, freeze: bool
) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="bench-digest-") as tmp:
        settings = load_settings(data_dir=Path(tmp), database_url="")
        async with open_services(settings) as services:
            db = services.db
            specs, fetcher = sample_feeds()
            await ingest(services, feeds=specs, fetcher=fetcher)
            await score_pending(db, LexiconBackend())
            newest = await latest_article_time(db)
            assert newest is not None
            # All subscriptions at 08:00 Amsterdam on the day after the newest sample article.
            zone_name = "Europe/Amsterdam"
            created = newest
            due = next_run(clock_time(8, 0), ZoneInfo(zone_name), created)
            rows = [
                {
                    "guild_id": 10_000 + n,
                    "channel_id": 1_000_000 + n,
                    "local_time": "08:00",
                    "timezone": zone_name,
                    "created_by": None,
                    "created_at": created,
                    "enabled": True,
                    "next_run_at": due,
                }
                for n in range(subs)
            ]
            async with db.begin() as conn:
                await conn.execute(sa.insert(digest_subscriptions), rows)

            async def language_of(guild_id: int) -> Language:
                return "nl" if guild_id % 2 else "en"

            composer = DigestComposer(db, settings)
            await composer.signal_report(due)  # the market history load is a one-off; warm it
            sender = SlowSender(latency)
            engine = DeliveryEngine(
                db,
                sender,
                composer,
                language_of=language_of,
                policy=DeliveryPolicy(concurrency=concurrency, grace=timedelta(hours=6)),
            )
            if freeze:
                # What the bot should do after start-up (see docs/digest.md): long-lived objects
                # (market history, modules) leave the collector's view, so a full collection
                # no longer walks them while the loop waits.
                gc.collect()
                gc.freeze()
            stop, worst = asyncio.Event(), [0.0]
            monitor = asyncio.create_task(stall_monitor(stop, worst))
            await asyncio.sleep(TICK * 2)
            started = time.perf_counter()
            report = await engine.run_due(due + timedelta(seconds=5))
            elapsed = time.perf_counter() - started
            stop.set()
            await monitor
            assert report.sent == subs, report
            assert len(sender.all_posts()) == subs
        gc.unfreeze()
    return elapsed, worst[0], report.sent


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subs", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-freeze", action="store_true", help="skip gc.freeze() after setup (see the docs)"
    )
    args = parser.parse_args()
    results = []
    for n in range(args.runs):
        elapsed, stall, sent = await one_run(
            args.subs, args.latency_ms / 1000, args.concurrency, not args.no_freeze
        )
        results.append((elapsed, stall))
        print(
            f"run {n + 1}: {sent} digests in {elapsed:.2f} s "
            f"({sent / elapsed:.0f}/s), largest loop stall {stall * 1000:.1f} ms"
        )
    total = statistics.median(r[0] for r in results)
    stall = statistics.median(r[1] for r in results)
    print(
        f"median of {args.runs}: {args.subs} subscriptions, concurrency {args.concurrency}, "
        f"{args.latency_ms:g} ms per post, gc.freeze {'off' if args.no_freeze else 'on'}: "
        f"total {total:.2f} s, "
        f"{args.subs / total:.0f} digests/s, largest event-loop stall {stall * 1000:.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
