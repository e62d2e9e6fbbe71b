"""The data version: a pipeline in one process publishes, readers in another see it at once.

Two Database objects on the same database stand for the two processes (separate engines and
connection pools, as `run` and its pipeline child have)."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from bot.runtime.dataversion import DataVersionWatcher
from bot.runtime.services import open_services
from bot.storage import Database
from bot.storage.dataversion import bump_data_version, data_version


async def test_a_bump_in_one_process_is_read_by_the_other(db: Database, other_db: Database) -> None:
    assert await data_version(other_db) == 0  # nothing published yet
    assert await bump_data_version(db) == 1
    assert await data_version(other_db) == 1
    assert await bump_data_version(other_db) == 2
    assert await data_version(db) == 2


async def test_concurrent_bumps_are_all_counted(db: Database, other_db: Database) -> None:
    await asyncio.gather(*(bump_data_version(d) for d in (db, other_db) for _ in range(5)))
    assert await data_version(db) == 10


async def test_watcher_tells_listeners_only_about_changes(db: Database, other_db: Database) -> None:
    watcher = DataVersionWatcher(other_db)
    seen: list[int] = []

    async def slow_listener(version: int) -> None:
        seen.append(-version)

    def broken(version: int) -> None:
        raise RuntimeError("a failing listener must not stop the others")

    watcher.subscribe(seen.append)
    watcher.subscribe(broken)
    watcher.subscribe(slow_listener)
    assert await watcher.poll() == 0
    assert seen == []  # the first read is where we start, not a change
    await bump_data_version(db)
    await watcher.poll()
    await watcher.poll()  # unchanged: nobody is told twice
    assert seen == [1, -1]


async def test_changed_wakes_a_waiting_round(db: Database, other_db: Database) -> None:
    watcher = DataVersionWatcher(other_db, interval=0.01)
    job = asyncio.create_task(watcher.run())
    try:
        async with asyncio.timeout(5):
            start = await watcher.changed(after=-1)  # the first read
            waiting = asyncio.create_task(watcher.changed(after=start))
            await asyncio.sleep(0.05)
            assert not waiting.done()
            await bump_data_version(db)
            assert await waiting == start + 1
    finally:
        job.cancel()


async def test_cached_reads_are_refreshed_when_another_process_publishes(
    settings: Settings, other_db: Database
) -> None:
    """The Discord process's read cache (60 s TTL) is refreshed by the watcher, not by time:
    askers get the previous answer at once while one recomputation runs, then the new one."""
    computed = 0
    release = asyncio.Event()

    async def compute() -> int:
        nonlocal computed
        computed += 1
        if computed > 1:
            await release.wait()
        return computed

    async with open_services(settings) as services:  # the Discord process
        await services.data_watch.poll()
        assert await services.cache.get("news", compute) == 1
        assert await services.cache.get("news", compute) == 1  # cached
        await bump_data_version(other_db)  # the pipeline process publishes
        await services.data_watch.poll()
        async with asyncio.timeout(5):
            assert await services.cache.get("news", compute) == 1  # at once: the previous
            await asyncio.sleep(0)
            assert computed == 2  # ... while the new one is computed
            release.set()
            for _ in range(5):  # the recomputation finishes and lands
                await asyncio.sleep(0)
            assert await services.cache.get("news", compute) == 2
        assert computed == 2
