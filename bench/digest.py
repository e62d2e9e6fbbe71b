"""Digest delivery benchmark: 1,000 subscriptions due in the same minute, composed and sent.

    .venv/bin/python bench/digest.py [--subs 1000] [--latency-ms 20] [--runs 3] [--via fake]

`--via fake` posts through the real path instead: a CryptoBot logged in to the fake Discord
(tests/fakediscord, on 127.0.0.1) and the discord.py Sender, embeds and all; the round trip is
then the fake's, not --latency-ms.

A fresh SQLite database gets the bundled sample feeds (ingested offline), their sentiment
scores (offline lexicon) and the bundled market history, so composing does its real work.
Half the servers read Dutch, half English. The sender is in-process (bot.delivery.memory) with
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
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bot.compose.digest import DigestComposer
from bot.config import Settings, load_settings
from bot.delivery.engine import DeliveryEngine, DeliveryPolicy
from bot.delivery.memory import MemorySender
from bot.delivery.messages import AlertMessage, DigestMessage
from bot.delivery.sender import Sender
from bot.digest.schedule import next_run
from bot.digest.tables import digest_subscriptions
from bot.digest.text import render_digest_text
from bot.guilds.feeds import feed_sets
from bot.i18n import Language
from bot.news.pipeline import ingest
from bot.news.query import latest_article_time
from bot.news.samples import sample_feeds
from bot.runtime.services import Services, open_services
from bot.sentiment.lexicon import LexiconBackend
from bot.sentiment.store import score_pending

TICK = 0.005
ZONE = "Europe/Amsterdam"


class RenderingSender(MemorySender):
    """The in-process sender, also rendering each digest as the real sender would."""

    async def send(
        self, channel_id: int, message: DigestMessage | AlertMessage, *, nonce: str
    ) -> int:
        if isinstance(message, DigestMessage):
            render_digest_text(message.digest)
        return await super().send(channel_id, message, nonce=nonce)


async def stall_monitor(stop: asyncio.Event, worst: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(TICK)
        worst[0] = max(worst[0], loop.time() - start - TICK)


def fake_world(subs: int) -> list[Any]:
    """Servers of 50 channels each, alternately Dutch and English."""
    from tests.fakediscord import Channel, Guild, guild_id_for_shard

    guilds = []
    for g in range((subs + 49) // 50):
        gid = guild_id_for_shard(0, 1, g + 1)
        channels = [Channel(gid + c + 1, f"c{c}") for c in range(min(50, subs - g * 50))]
        locale = "nl" if g % 2 else "en-US"
        guilds.append(
            Guild(id=gid, name=f"g{g}", owner_id=1, preferred_locale=locale, channels=channels)
        )
    return guilds


@asynccontextmanager
async def discord_sender(
    services: Services, subs: int
) -> AsyncIterator[tuple[Sender, Callable[[int], Awaitable[Language]], list[tuple[int, int]]]]:
    """A bot logged in to the fake Discord; yields its Sender, language_of and (guild, channel)s."""
    from bot.discord.client import configure_endpoints
    from bot.discord.launcher import create_bot
    from bot.discord.sender import DiscordSender
    from tests.fakediscord import FakeDiscord

    guilds = fake_world(subs)
    async with FakeDiscord(guilds) as fake:
        settings = services.settings.model_copy(
            update={
                "discord_api_base": fake.api_base,
                "discord_gateway_url": fake.gateway_url,
                "pipeline_enabled": False,
                "deliveries_enabled": False,
            }
        )
        configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
        bot = create_bot(replace(services, settings=settings), guild_ready_timeout=0.05)
        task = asyncio.create_task(bot.start(fake.token))
        await asyncio.wait_for(bot.wait_until_ready(), 60)

        async def language_of(guild_id: int) -> Language:
            guild = bot.get_guild(guild_id)
            return await bot.languages.language_for(
                guild_id, guild.preferred_locale.value if guild else None
            )

        targets = [(g.id, c.id) for g in guilds for c in g.channels]
        try:
            yield DiscordSender(bot), language_of, targets
            posted = sum(len(fake.messages[c]) for _g, c in targets)
            assert posted == subs, f"{posted} posts for {subs} subscriptions"
        finally:
            await bot.close()
            await task


async def one_run(
    subs: int, latency: float, concurrency: int, freeze: bool, via: str = "memory"
) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory(prefix="bench-digest-") as tmp:
        settings = load_settings(data_dir=Path(tmp), database_url="", sentiment_backend="lexicon")
        async with open_services(settings) as services:
            db = services.db
            specs, fetcher = sample_feeds()
            await ingest(services, feeds=specs, fetcher=fetcher)
            await score_pending(db, LexiconBackend())
            newest = await latest_article_time(db)
            assert newest is not None
            # All subscriptions at 08:00 Amsterdam on the day after the newest sample article.
            created = newest
            due = next_run(clock_time(8, 0), ZoneInfo(ZONE), created)
            async with AsyncExitStack() as stack:
                if via == "fake":
                    sender, language_of, targets = await stack.enter_async_context(
                        discord_sender(services, subs)
                    )
                else:
                    sender = RenderingSender(nonce_window=None, latency=latency)
                    targets = [(10_000 + n, 1_000_000 + n) for n in range(subs)]

                    async def language_of(guild_id: int) -> Language:
                        return "nl" if guild_id % 2 else "en"

                elapsed, stall, sent = await deliver_all(
                    services,
                    settings,
                    sender,
                    language_of,
                    targets,
                    due,
                    created,
                    concurrency,
                    freeze,
                )
        gc.unfreeze()
    return elapsed, stall, sent


async def deliver_all(
    services: Services,
    settings: Settings,
    sender: Sender,
    language_of: Callable[[int], Awaitable[Language]],
    targets: list[tuple[int, int]],
    due: datetime,
    created: datetime,
    concurrency: int,
    freeze: bool,
) -> tuple[float, float, int]:
    db = services.db
    rows = [
        {
            "guild_id": guild_id,
            "channel_id": channel_id,
            "local_time": "08:00",
            "timezone": ZONE,
            "created_by": None,
            "created_at": created,
            "enabled": True,
            "next_run_at": due,
        }
        for guild_id, channel_id in targets
    ]
    async with db.begin() as conn:
        await conn.execute(sa.insert(digest_subscriptions), rows)

    composer = DigestComposer(db, settings)
    await composer.signal_report(due)  # the market history load is a one-off; warm it
    engine = DeliveryEngine(
        db,
        sender,
        composer,
        language_of=language_of,
        feeds_of=partial(feed_sets, db),  # each server's feed set, looked up as the bot does
        policy=DeliveryPolicy(concurrency=concurrency, grace=timedelta(hours=6)),
    )
    if freeze:
        # What the bot does after start-up (CryptoBot.setup_hook): long-lived objects (market
        # history, modules) leave the collector's view, so a full collection no longer walks
        # them while the loop waits.
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
    assert report.sent == len(targets), report
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
    parser.add_argument(
        "--via",
        choices=["memory", "fake"],
        default="memory",
        help="memory: in-process sender with --latency-ms; fake: the bot and the fake Discord",
    )
    args = parser.parse_args()
    results = []
    for n in range(args.runs):
        elapsed, stall, sent = await one_run(
            args.subs, args.latency_ms / 1000, args.concurrency, not args.no_freeze, args.via
        )
        results.append((elapsed, stall))
        print(
            f"run {n + 1}: {sent} digests in {elapsed:.2f} s "
            f"({sent / elapsed:.0f}/s), largest loop stall {stall * 1000:.1f} ms"
        )
    total = statistics.median(r[0] for r in results)
    stall = statistics.median(r[1] for r in results)
    print(
        f"median of {args.runs}: {args.subs} subscriptions via {args.via}, "
        f"concurrency {args.concurrency}, "
        + (f"{args.latency_ms:g} ms per post, " if args.via == "memory" else "")
        + f"gc.freeze {'off' if args.no_freeze else 'on'}: "
        f"total {total:.2f} s, "
        f"{args.subs / total:.0f} digests/s, largest event-loop stall {stall * 1000:.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
