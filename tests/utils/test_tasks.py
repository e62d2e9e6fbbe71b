"""Stopping tasks with a bound (bot/utils/tasks.py): a task that ignores its cancellation is
logged and left behind, and the caller goes on."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.utils.tasks import cancel_and_wait


async def ignore_cancellation(started: asyncio.Event, release: asyncio.Event) -> None:
    """Ignores cancellations until released (as asyncpg's executemany did)."""
    started.set()
    while not release.is_set():
        try:
            await release.wait()
        except asyncio.CancelledError:
            continue


async def test_cancelled_tasks_end_and_the_call_returns_at_once() -> None:
    tasks = [asyncio.create_task(asyncio.sleep(60)) for _ in range(3)]
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait(tasks, grace=30), 1)
    assert all(task.cancelled() for task in tasks)


async def test_a_task_that_ignores_its_cancellation_is_logged_and_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    stubborn = asyncio.create_task(ignore_cancellation(started, release), name="stubborn")
    polite = asyncio.create_task(asyncio.sleep(60), name="polite")
    await started.wait()
    with caplog.at_level(logging.ERROR, logger="bot.utils.tasks"):
        await asyncio.wait_for(cancel_and_wait([stubborn, polite], grace=0.2), 5)
    assert polite.cancelled()
    assert not stubborn.done()
    assert [r.getMessage() for r in caplog.records] == [
        "task stubborn still runs 0.2 s after its cancellation; left behind"
    ]
    release.set()
    await stubborn


async def test_a_task_failing_while_it_stops_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def fails_on_cancel() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            raise RuntimeError("cleanup failed") from None

    task = asyncio.create_task(fails_on_cancel(), name="cleanup")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="bot.utils.tasks"):
        await cancel_and_wait([task], grace=5)
    assert "task cleanup ended with RuntimeError('cleanup failed') while stopping" in caplog.text
