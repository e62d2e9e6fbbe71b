from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

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


class Source:
    """A computation whose answers are released by the test, one per call."""

    def __init__(self) -> None:
        self.calls = 0
        self.gates: list[asyncio.Event] = []
        self.fail: set[int] = set()  # call numbers (1-based) that raise
        self._called = asyncio.Event()

    async def compute(self) -> str:
        self.calls += 1
        self._called.set()
        n = self.calls
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        if n in self.fail:
            raise RuntimeError(f"database busy ({n})")
        return f"v{n}"

    async def release(self, calls: int) -> None:
        """Let every computation go once `calls` have started."""
        async with asyncio.timeout(5):
            while self.calls < calls:
                self._called.clear()
                await self._called.wait()
        for gate in self.gates:
            gate.set()


async def answered(cache: ReadCache, source: Source, key: str = "news") -> str:
    task = asyncio.ensure_future(cache.get(key, source.compute))
    await source.release(source.calls + 1)
    async with asyncio.timeout(5):
        return await task


async def settle() -> None:
    """Let a released computation finish and land (its task, then its done callback)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_after_new_data_the_previous_answer_is_given_while_one_recomputation_runs() -> None:
    cache = ReadCache(ttl=60, stale_for=5)
    source = Source()
    assert await answered(cache, source) == "v1"
    cache.mark_stale()  # another process published
    # Everyone asking meanwhile gets the previous answer at once; one recomputation starts.
    answers = await asyncio.gather(*(cache.get("news", source.compute) for _ in range(20)))
    assert answers == ["v1"] * 20
    await source.release(2)
    await settle()
    assert await cache.get("news", source.compute) == "v2"  # switched once ready
    assert source.calls == 2


async def test_the_previous_answer_is_given_for_a_bounded_time_only() -> None:
    cache = ReadCache(ttl=60, stale_for=0.05)
    source = Source()
    assert await answered(cache, source) == "v1"
    cache.mark_stale()
    assert await cache.get("news", source.compute) == "v1"  # within stale_for
    await asyncio.sleep(0.06)
    # Too long after the new data: the asker waits for the recomputation already running.
    waiting = asyncio.ensure_future(cache.get("news", source.compute))
    await asyncio.sleep(0.01)
    assert not waiting.done() and source.calls == 2
    await source.release(2)
    assert await waiting == "v2"


async def test_a_recomputation_started_before_newer_data_is_not_waited_for() -> None:
    cache = ReadCache(ttl=60, stale_for=0.02)
    source = Source()
    assert await answered(cache, source) == "v1"
    cache.mark_stale()
    assert await cache.get("news", source.compute) == "v1"  # starts computation 2
    cache.mark_stale()  # newer data while it runs
    await asyncio.sleep(0.03)
    waiting = asyncio.ensure_future(cache.get("news", source.compute))
    await source.release(3)  # computation 3 includes the newest data
    assert await waiting == "v3"
    await settle()
    assert await cache.get("news", source.compute) == "v3"  # 2 landing late did not win


async def test_a_failed_recomputation_keeps_the_previous_answer_and_is_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = ReadCache(ttl=60, stale_for=0.01, retry_after=0.03)
    source = Source()
    source.fail = {2}
    assert await answered(cache, source) == "v1"
    cache.mark_stale()
    assert await cache.get("news", source.compute) == "v1"
    await source.release(2)
    await settle()
    assert "could not recompute the cached 'news'" in caplog.text
    await asyncio.sleep(0.015)  # past stale_for: still the previous answer, not an error
    assert await cache.get("news", source.compute) == "v1"
    assert source.calls == 2  # not retried before retry_after
    await asyncio.sleep(0.03)
    assert await cache.get("news", source.compute) == "v1"
    await source.release(3)  # retried
    await settle()
    assert await cache.get("news", source.compute) == "v3"


async def test_clear_and_expiry_still_wait_for_a_new_answer() -> None:
    cache = ReadCache(ttl=60, stale_for=5)
    source = Source()
    assert await answered(cache, source) == "v1"
    cache.mark_stale()
    cache.clear()  # the answers are wrong now (a feed set changed)
    assert await answered(cache, source) == "v2"
    expiring = ReadCache(ttl=0.0, stale_for=5)
    assert await answered(expiring, source) == "v3"
    expiring.mark_stale()
    assert await answered(expiring, source) == "v4"  # past its ttl: never given stale


async def test_stable_answers_outlive_new_data() -> None:
    cache = ReadCache(ttl=60)
    source = Source()
    task = asyncio.ensure_future(cache.get("chart", source.compute, stable=True))
    await source.release(1)
    assert await task == "v1"
    cache.mark_stale()
    assert await cache.get("chart", source.compute, stable=True) == "v1"
    await settle()
    assert source.calls == 1  # not recomputed


async def test_discard_forgets_only_the_keys_named() -> None:
    cache = ReadCache(ttl=60)
    counts = {"a": 0, "b": 0}

    def counter(key: str) -> Callable[[], Awaitable[int]]:
        async def compute() -> int:
            counts[key] += 1
            return counts[key]

        return compute

    assert await cache.get("a", counter("a")) == 1
    assert await cache.get("b", counter("b")) == 1
    cache.discard("a", "never stored")
    assert await cache.get("a", counter("a")) == 2  # computed again
    assert await cache.get("b", counter("b")) == 1  # kept
