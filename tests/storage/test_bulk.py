"""Many rows in one statement (bot/storage/bulk.py): batches within a write, and a write
cancelled halfway that really ends (asyncpg's executemany swallowed the cancellation)."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from bot.storage import Database
from bot.storage.bulk import BATCH_BYTES, batches, encoded_size, execute_many

probe = sa.Table(
    "bulk_probe",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)


def test_batches_keep_order_and_stay_within_the_limit() -> None:
    rows = [{"id": i, "body": "é" * (i % 700)} for i in range(3_000)]
    parts = list(batches(rows, limit=20_000))
    assert [r for part in parts for r in part] == rows
    assert len(parts) > 10
    assert all(sum(encoded_size(r) for r in part) <= 20_000 for part in parts)
    # UTF-8, not characters: "é" is two bytes on the wire.
    assert encoded_size({"body": "é" * 100}) > encoded_size({"body": "e" * 100})


def test_a_row_over_the_limit_goes_alone_and_nothing_makes_no_batch() -> None:
    big = {"id": 1, "body": "x" * (2 * BATCH_BYTES)}
    small = {"id": 2, "body": "y"}
    assert list(batches([small, big, small])) == [[small], [big], [small]]
    assert list(batches([])) == []


async def _insert_all(db: Database, rows: list[dict[str, object]]) -> None:
    async with db.begin() as conn:
        await execute_many(conn, probe.insert(), rows)


async def _blocked_on_a_lock(db: Database) -> bool:
    async with db.connection() as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return bool(await conn.scalar(sa.text(query)))


@pytest.mark.postgres
async def test_a_large_write_cancelled_while_sending_ends_and_leaves_nothing(db: Database) -> None:
    """16 MB of rows whose first waits on another transaction's row: the server stops reading,
    the client stops sending, and then the task is cancelled. Before bot/storage/bulk.py the
    task never ended (asyncpg's bind_execute_many swallowed the cancellation)."""
    async with db.begin() as conn:
        await conn.run_sync(probe.metadata.create_all)
    rows: list[dict[str, object]] = [{"id": i, "body": "x" * 1_000} for i in range(16_000)]
    async with db.engine.connect() as other:
        await other.execute(probe.insert().values(id=0, body="the other writer's"))
        task = asyncio.create_task(_insert_all(db, rows))
        for _ in range(500):
            if await _blocked_on_a_lock(db):
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the write never reached the other transaction's row")
        await asyncio.sleep(0.5)  # the socket's buffers fill: the client waits to send more
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=10)
        if task not in done:
            task.cancel()  # a second cancellation gets through; the test fails anyway
            await asyncio.wait({task}, timeout=10)
            pytest.fail("the cancelled write never ended")
        assert task.cancelled()
        await other.rollback()
    async with db.begin() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(probe)) == 0
        await execute_many(conn, probe.insert(), rows)  # the database still takes writes
    async with db.connection() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(probe)) == len(rows)
