from __future__ import annotations

import asyncio

import pytest

from bot.utils.cache import ReadCache


async def test_concurrent_callers_share_one_computation() -> None:
    cache = ReadCache(ttl=60)
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return 42

    results = await asyncio.gather(*(cache.get("k", compute) for _ in range(50)))
    assert results == [42] * 50 and calls == 1
    assert await cache.get("k", compute) == 42 and calls == 1
    cache.clear()
    assert await cache.get("k", compute) == 42 and calls == 2


async def test_entries_expire_and_failures_are_not_kept() -> None:
    cache = ReadCache(ttl=0.0)
    values = iter([1, 2])

    async def compute() -> int:
        return next(values)

    assert await cache.get("k", compute) == 1
    assert await cache.get("k", compute) == 2  # ttl 0: computed again

    attempts = 0

    async def flaky() -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("database busy")
        return "ok"

    sticky = ReadCache(ttl=60)
    with pytest.raises(RuntimeError):
        await sticky.get("f", flaky)
    assert await sticky.get("f", flaky) == "ok"


async def test_a_caller_giving_up_does_not_cancel_the_others() -> None:
    cache = ReadCache()
    started = asyncio.Event()

    async def slow() -> str:
        started.set()
        await asyncio.sleep(0.05)
        return "done"

    first = asyncio.create_task(cache.get("k", slow))
    await started.wait()
    second = asyncio.create_task(cache.get("k", slow))
    first.cancel()
    assert await second == "done"


async def test_size_is_bounded() -> None:
    cache = ReadCache(ttl=60, max_entries=10)

    async def value() -> int:
        return 1

    for n in range(100):
        await cache.get(n, value)
    assert len(cache._entries) <= 10


async def test_put_stores_a_value_this_process_wrote() -> None:
    cache = ReadCache(ttl=60)

    async def compute() -> str:
        return "read"

    assert await cache.get("lang", compute) == "read"
    cache.put("lang", "nl")
    assert await cache.get("lang", compute) == "nl"
