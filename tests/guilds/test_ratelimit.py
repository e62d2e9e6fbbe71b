from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import RateLimited
from bot.guilds.ratelimit import (
    FEEDS_ADD,
    GUILD_TOO_OFTEN,
    USER_TOO_OFTEN,
    Limits,
    forget_attempts,
    take_attempt,
)
from bot.i18n import use_language
from bot.storage import Database

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
LIMITS = Limits(per_guild=5, per_user=3, window=timedelta(seconds=600))


async def attempt(db: Database, guild: int, user: int, at: datetime = NOW) -> None:
    await take_attempt(db, FEEDS_ADD, guild_id=guild, user_id=user, limits=LIMITS, now=at)


async def test_per_server_limit_and_when_to_try_again(db: Database) -> None:
    for n in range(5):  # five admins, one attempt each, a minute apart
        await attempt(db, 1, 100 + n, NOW + timedelta(minutes=n))
    later = NOW + timedelta(minutes=5)
    with pytest.raises(RateLimited) as caught:
        await attempt(db, 1, 200, later)
    assert caught.value.template == GUILD_TOO_OFTEN
    assert caught.value.retry_after == timedelta(minutes=5)  # the first attempt leaves then
    with use_language("nl"):
        assert caught.value.message() == (
            "Op deze server is te vaak geprobeerd feeds toe te voegen. "
            "Probeer het over 5 minuten opnieuw."
        )
    assert "Try again in 5 minutes." in caught.value.message()
    await attempt(db, 2, 200, later)  # another server has its own allowance
    await attempt(db, 1, 200, NOW + timedelta(minutes=10))  # the first one left the window


async def test_per_user_limit_across_servers(db: Database) -> None:
    for guild in (1, 2, 3):
        await attempt(db, guild, 7)
    with pytest.raises(RateLimited) as caught:
        await attempt(db, 4, 7, NOW + timedelta(seconds=30))
    assert caught.value.template == USER_TOO_OFTEN
    assert caught.value.retry_after == timedelta(seconds=570)
    assert caught.value.message().endswith("too often. Try again in 10 minutes.")
    await attempt(db, 4, 8, NOW + timedelta(seconds=30))  # another user may


async def test_refused_attempts_are_not_counted(db: Database) -> None:
    for _ in range(3):
        await attempt(db, 1, 7)
    for _ in range(5):
        with pytest.raises(RateLimited):
            await attempt(db, 1, 7)
    await attempt(db, 1, 8)  # the server made 4 attempts, not 9
    await attempt(db, 1, 9)
    with pytest.raises(RateLimited):
        await attempt(db, 1, 10)


async def test_parallel_attempts_on_one_server(db: Database) -> None:
    results = await asyncio.gather(
        *(attempt(db, 1, 100 + n) for n in range(20)), return_exceptions=True
    )
    assert sum(r is None for r in results) == 5, results
    assert all(isinstance(r, RateLimited) for r in results if r is not None)


async def test_parallel_attempts_by_one_user_across_servers(db: Database) -> None:
    results = await asyncio.gather(*(attempt(db, n, 7) for n in range(12)), return_exceptions=True)
    assert sum(r is None for r in results) == 3, results
    assert all(isinstance(r, RateLimited) for r in results if r is not None)


async def test_old_attempts_are_forgotten(db: Database) -> None:
    for n in range(3):
        await attempt(db, 1, 7, NOW + timedelta(minutes=n))
    assert await forget_attempts(db, older_than=NOW + timedelta(minutes=1)) == 1
    await attempt(db, 1, 7, NOW + timedelta(minutes=3))  # room for one again
