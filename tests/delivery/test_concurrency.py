"""Several processes on one database: racing claims, shard scopes, concurrent migrations.

Each "process" is its own Database (engine and connection pool) on the test database, as
two bot shards would have. On PostgreSQL (TEST_DATABASE_URL) the races are real: the
statements interleave on separate server sessions.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.config import Settings
from bot.delivery.memory import MemorySender
from bot.delivery.messages import AlertEvent
from bot.digest import store
from bot.digest.tables import digest_deliveries, digest_subscriptions
from bot.shards import shard_scope
from bot.storage import Database
from bot.storage.db import load_migrations
from tests.digest.conftest import Clock, EngineFactory

# Real-looking snowflakes: the shard bits sit above bit 22, beyond 32-bit integers.
GUILDS = [81384788765712384 + n * 7_340_033 for n in range(40)]


async def _subscribe_all(db: Database, clock: Clock, guilds: list[int]) -> None:
    for n, guild in enumerate(guilds):
        await store.subscribe(
            db,
            guild_id=guild,
            channel_id=10_000 + n,
            local_time="08:00",
            timezone="Europe/Amsterdam",
            created_by=None,
            now=clock(),
        )


async def test_shard_scope_matches_discords_formula(db: Database, clock: Clock) -> None:
    await _subscribe_all(db, clock, GUILDS)
    for count in (1, 2, 3, 16):
        for shard in range(count):
            where = shard_scope([shard], count)(digest_subscriptions)
            async with db.connection() as conn:
                got = set(
                    (
                        await conn.execute(sa.select(digest_subscriptions.c.guild_id).where(where))
                    ).scalars()
                )
            assert got == {g for g in GUILDS if (g >> 22) % count == shard}, (shard, count)


async def test_two_processes_racing_deliver_each_digest_once(
    db: Database,
    clock: Clock,
    discord: MemorySender,
    make_engine: EngineFactory,
    fresh_db: Callable[[], Database],
) -> None:
    await _subscribe_all(db, clock, GUILDS)
    clock.advance(hours=1)  # 08:00 in Amsterdam: all due
    first = make_engine(database=fresh_db())
    second = make_engine(database=fresh_db())
    reports = await asyncio.gather(first.run_due(), second.run_due(), first.run_due())
    assert sum(r.sent for r in reports) == len(GUILDS)
    per_channel = Counter(p.channel_id for p in discord.all_posts())
    assert per_channel == Counter({10_000 + n: 1 for n in range(len(GUILDS))})
    async with db.connection() as conn:
        states = Counter((await conn.execute(sa.select(digest_deliveries.c.state))).scalars())
    assert states == Counter({"sent": len(GUILDS)})


async def test_shards_split_the_due_digests(
    db: Database,
    clock: Clock,
    discord: MemorySender,
    make_engine: EngineFactory,
    fresh_db: Callable[[], Database],
) -> None:
    await _subscribe_all(db, clock, GUILDS)
    clock.advance(hours=1)
    engines = [make_engine(database=fresh_db(), scope=shard_scope([n], 2)) for n in (0, 1)]
    zero, one = await asyncio.gather(*(e.run_due() for e in engines))
    expected_zero = sum(1 for g in GUILDS if (g >> 22) % 2 == 0)
    assert 0 < expected_zero < len(GUILDS)
    assert (zero.sent, one.sent) == (expected_zero, len(GUILDS) - expected_zero)
    assert sorted(p.channel_id for p in discord.all_posts()) == [10_000 + n for n in range(40)]


@pytest.mark.postgres
async def test_migrations_started_twice_at_once_apply_once(settings: Settings) -> None:
    databases = [Database.connect(settings.resolved_database_url) for _ in range(3)]
    try:
        applied = await asyncio.gather(*(d.migrate() for d in databases))
        assert sorted(v for a in applied for v in a) == [m.version for m in load_migrations()]
        for d in databases:
            assert await d.schema_version() == load_migrations()[-1].version
    finally:
        for d in databases:
            await d.close()


async def test_shards_racing_over_alerts_post_each_once(
    db: Database,
    clock: Clock,
    discord: MemorySender,
    make_engine: EngineFactory,
    fresh_db: Callable[[], Database],
) -> None:
    for n, guild in enumerate(GUILDS):
        await store.subscribe_alerts(
            db, guild_id=guild, channel_id=20_000 + n, created_by=None, now=clock()
        )
    event = AlertEvent("rut:breakout:2026-11-20", "breakout", clock() - timedelta(hours=2))
    # Shard 0 twice (a process and its restarted twin racing) and shard 1 once.
    scopes = [shard_scope([0], 2), shard_scope([0], 2), shard_scope([1], 2)]
    engines = [make_engine(database=fresh_db(), scope=scope) for scope in scopes]
    reports = await asyncio.gather(*(e.deliver_alerts([event], clock()) for e in engines))
    assert sum(r.sent for r in reports) == len(GUILDS)
    assert reports[2].sent == sum(1 for g in GUILDS if (g >> 22) % 2 == 1)
    per_channel = Counter(p.channel_id for p in discord.all_posts())
    assert per_channel == Counter({20_000 + n: 1 for n in range(len(GUILDS))})
