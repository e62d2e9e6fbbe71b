"""Two bot processes (shards 0 and 1 of 2) and one pipeline on one PostgreSQL, against the
fake Discord: each subscribed channel gets exactly one digest, from the process owning its
guild's shard, and killing a bot mid-delivery neither loses nor doubles a digest.

Each "process" has its own services (database pool, HTTP client) and its own CryptoBot with
its own gateway session; they share only the database and the fake Discord.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.digest import store
from bot.digest.schedule import next_run
from bot.digest.tables import digest_deliveries
from bot.discord.client import CryptoBot
from bot.market.signal import ensure_bundled_history
from bot.runtime.jobs import pipeline_pass
from bot.runtime.services import open_services
from tests.discord.conftest import (
    LOOPBACK_FEEDS,
    FeedServer,
    bot_settings,
)
from tests.fakediscord import Channel, FakeDiscord, Guild, Member, guild_id_for_shard
from tests.harness import OWNER, start_bot, stop_bot

pytestmark = pytest.mark.postgres

AMS = ZoneInfo("Europe/Amsterdam")
SHARDS = 2
PER_SHARD = 3


def channel_of(guild_id: int) -> int:
    return guild_id + 7


GUILDS = {
    shard: [guild_id_for_shard(shard, SHARDS, n) for n in range(1, PER_SHARD + 1)]
    for shard in range(SHARDS)
}


def world() -> list[Guild]:
    return [
        Guild(
            id=gid,
            name=f"Server {gid}",
            owner_id=OWNER.id,
            preferred_locale="nl" if n % 2 else "en-US",
            channels=[Channel(channel_of(gid), "digest")],
            members=[Member(OWNER)],
        )
        for shard in range(SHARDS)
        for n, gid in enumerate(GUILDS[shard])
    ]


class Process:
    """One bot process: its own services and client, serving one shard."""

    def __init__(self, shard: int, settings: Settings) -> None:
        self.shard = shard
        self.settings = settings
        self.sent_to: list[int] = []
        self._stack = AsyncExitStack()
        self.bot: CryptoBot | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(
        self, clock: datetime, send_hook: Callable[..., Awaitable[Any]] | None = None
    ) -> None:
        services = await self._stack.enter_async_context(open_services(self.settings))
        self.bot, self.task = await start_bot(self.settings, services)
        engine = self.bot.get_cog("DigestCog").engine  # type: ignore[union-attr]
        engine.clock = lambda: clock
        real_send = engine.sender.send

        async def send(channel_id: int, message: Any, *, nonce: str) -> int:
            self.sent_to.append(channel_id)
            if send_hook is not None:
                return int(await send_hook(real_send, channel_id, message, nonce=nonce))
            return int(await real_send(channel_id, message, nonce=nonce))

        engine.sender.send = send

    def set_clock(self, now: datetime) -> None:
        assert self.bot is not None
        self.bot.get_cog("DigestCog").engine.clock = lambda: now  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.bot is not None and self.task is not None:
            await stop_bot(self.bot, self.task)
        await self._stack.aclose()


@pytest.fixture
async def cluster(
    tmp_path: Path,
    feed_server: FeedServer,
    restore_endpoints: None,
) -> AsyncIterator[tuple[FakeDiscord, Callable[[int], Process], datetime]]:
    """The fake Discord with 2 shards, news stored by a pipeline pass, digests due soon."""
    async with FakeDiscord(world(), shard_count=SHARDS) as fake:
        fake.nonce_window = 0  # a restart comes too late for Discord's nonce dedupe
        base = bot_settings(tmp_path, fake, feed_server, digest_tick_seconds=0.2)
        # The pipeline process: feeds and scoring, no Discord.
        pipeline = base.model_copy(update={"pipeline_enabled": True, "deliveries_enabled": False})
        # Due a minute from now, so the engines' clocks stay near Discord's snowflake times
        # (a take-over searches the channel history from the claim time).
        soon = (datetime.now(AMS) + timedelta(minutes=2)).time().replace(second=0, microsecond=0)
        async with open_services(pipeline, feed_policy=LOOPBACK_FEEDS) as services:
            await pipeline_pass(services)
            await ensure_bundled_history(services.db, pipeline)
            now = datetime.now(UTC)
            for gid in (g for shard in GUILDS.values() for g in shard):
                await store.subscribe(
                    services.db,
                    guild_id=gid,
                    channel_id=channel_of(gid),
                    local_time=soon.strftime("%H:%M"),
                    timezone="Europe/Amsterdam",
                    created_by=OWNER.id,
                    now=now,
                )
        due = next_run(soon, AMS, datetime.now(UTC) - timedelta(minutes=5)) + timedelta(seconds=30)
        processes: list[Process] = []

        def process(shard: int) -> Process:
            settings = base.model_copy(update={"shard_count": SHARDS, "shard_ids": [shard]})
            processes.append(Process(shard, settings))
            return processes[-1]

        try:
            yield fake, process, due
        finally:
            for p in processes:
                await p.stop()


def channel_posts(fake: FakeDiscord) -> dict[int, int]:
    return {
        cid: len([m for m in msgs if m.source == "channel"]) for cid, msgs in fake.messages.items()
    }


async def wait_for(check: Callable[[], Awaitable[bool]]) -> None:
    """Poll `check` for up to 20 s."""
    for _ in range(400):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in 20 s")


async def states(settings: Settings) -> list[str]:
    async with open_services(settings) as services, services.db.connection() as conn:
        return sorted((await conn.execute(sa.select(digest_deliveries.c.state))).scalars())


ALL_CHANNELS = {channel_of(g) for shard in GUILDS.values() for g in shard}


async def test_each_channel_gets_one_digest_from_its_shard(cluster: Any) -> None:
    fake, process, due = cluster
    bots = [process(0), process(1)]
    for bot in bots:
        await bot.start(due)
    identified = sorted(tuple(i.shard) for i in fake.identifies if i.shard)
    assert identified == [(0, SHARDS), (1, SHARDS)]

    async def all_posted() -> bool:
        return set(channel_posts(fake)) >= ALL_CHANNELS

    await wait_for(all_posted)
    await asyncio.sleep(1.0)  # more ticks post nothing more
    assert channel_posts(fake) == dict.fromkeys(ALL_CHANNELS, 1)
    for bot in bots:
        assert sorted(bot.sent_to) == sorted(channel_of(g) for g in GUILDS[bot.shard])
    assert await states(bots[0].settings) == ["sent"] * len(ALL_CHANNELS)


async def test_killed_bot_loses_nothing_and_doubles_nothing(cluster: Any) -> None:
    fake, process, due = cluster
    survivor, victim = process(0), process(1)
    await survivor.start(due)
    posted_then_died = asyncio.Event()
    claimed: list[int] = []

    async def die_mid_delivery(real_send: Any, channel_id: int, message: Any, *, nonce: str) -> int:
        """The first claimed digest reaches Discord, the others not: then the process hangs
        (its rows stay 'sending', never recorded) until it is killed."""
        claimed.append(channel_id)
        if len(claimed) == 1:
            await real_send(channel_id, message, nonce=nonce)
        if len(claimed) == PER_SHARD:
            posted_then_died.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    await victim.start(due, send_hook=die_mid_delivery)
    await asyncio.wait_for(posted_then_died.wait(), 20)
    await victim.stop()  # killed: its delivery tasks are cancelled before recording anything
    shard_one = {channel_of(g) for g in GUILDS[1]}
    assert sorted(claimed) == sorted(shard_one)
    assert sum(channel_posts(fake).get(c, 0) for c in shard_one) == 1
    assert (await states(survivor.settings)).count("sending") == PER_SHARD

    # Restarted after its lease ran out: finds the one post, sends the two others.
    restarted = process(1)
    await restarted.start(due + timedelta(minutes=3))

    async def all_posted() -> bool:
        return set(channel_posts(fake)) >= ALL_CHANNELS

    await wait_for(all_posted)
    await wait_for(lambda: _all_sent(survivor.settings))
    await asyncio.sleep(1.0)
    assert channel_posts(fake) == dict.fromkeys(ALL_CHANNELS, 1)
    assert len(restarted.sent_to) == PER_SHARD - 1  # the posted one was found, not resent


async def _all_sent(settings: Settings) -> bool:
    return await states(settings) == ["sent"] * len(ALL_CHANNELS)
