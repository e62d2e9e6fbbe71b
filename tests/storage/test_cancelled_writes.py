"""A write cancelled halfway never leaves the database locked, even before a garbage collection.

Cancelling a task inside a transaction makes SQLAlchemy invalidate (close) its connection.
SQLite's close leaves a connection whose statements are still referenced as a "zombie" that
keeps its locks until they are freed; the cancellation's traceback keeps them in a reference
cycle, so only the cyclic collector freed them, and every other writer (this process, the
pipeline process) waited for its busy timeout and failed with "database is locked".
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bot.storage import Database, kv

# About 0.3 s of SQLite work in the connection's thread: long enough to cancel mid-way.
SLOW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)"
    " SELECT count(*) FROM n"
)


@pytest.fixture
def no_collector() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def _write_then_slow(db: Database, started: asyncio.Event) -> None:
    async with db.begin() as conn:
        await db.lock(conn, "test")  # the write lock, as the delivery ledger takes it
        await conn.execute(
            kv.app_state.insert().values(key="half", value="x", updated_at=sa.func.now())
        )
        started.set()
        await conn.execute(sa.text(SLOW))


@pytest.mark.sqlite_only
async def test_a_cancelled_transaction_releases_the_write_lock_at_once(
    db: Database, no_collector: None
) -> None:
    started = asyncio.Event()
    task = asyncio.create_task(_write_then_slow(db, started))
    await started.wait()
    await asyncio.sleep(0.05)  # inside the slow statement, in the connection's thread
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    other = Database.connect(str(db.engine.url))  # another process's view of the file
    try:
        began = time.monotonic()
        await kv.set_value(other, "after", "y")  # "database is locked" after 5 s before the fix
        assert time.monotonic() - began < 2
        assert await kv.get_value(other, "after") == "y"
        assert await kv.get_value(other, "half") is None  # the cancelled write rolled back
    finally:
        await other.close()
