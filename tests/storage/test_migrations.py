from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import sqlalchemy as sa

import bot
from bot.storage import Database, normalize_database_url
from bot.storage.db import load_migrations
from bot.storage.tables import metadata


async def test_migrate_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    db = Database.connect(url)
    first = await db.migrate()
    second = await db.migrate()
    assert first == [m.version for m in load_migrations()]
    assert second == []
    assert await db.schema_version() == max(first)
    await db.close()
    # A second process (fresh engine) on the same file also finds nothing to do.
    again = Database.connect(url)
    assert await again.migrate() == []
    await again.close()


@pytest.mark.sqlite_only
async def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    async with db.connection() as conn:
        mode = await conn.scalar(sa.text("PRAGMA journal_mode"))
        fks = await conn.scalar(sa.text("PRAGMA foreign_keys"))
    assert mode == "wal"
    assert fks == 1


async def test_runtime_tables_match_migrated_schema(db: Database) -> None:
    """The Table objects used at run time name exactly the columns the migrations created."""

    def columns(sync_conn: sa.Connection) -> dict[str, set[str]]:
        inspector = sa.inspect(sync_conn)
        return {
            name: {c["name"] for c in inspector.get_columns(name)}
            for name in inspector.get_table_names()
        }

    # Importing every domain `tables` module registers its Tables on the shared metadata.
    for path in Path(bot.__file__).parent.rglob("tables.py"):
        rel = path.relative_to(Path(bot.__file__).parent.parent).with_suffix("")
        importlib.import_module(".".join(rel.parts))
    async with db.connection() as conn:
        actual = await conn.run_sync(columns)
    for table in metadata.sorted_tables:
        assert table.name in actual, f"{table.name} has no migration"
        assert {c.name for c in table.columns} == actual[table.name], table.name


def test_database_url_normalisation() -> None:
    assert normalize_database_url("sqlite:///a.db") == "sqlite+aiosqlite:///a.db"
    assert normalize_database_url("postgresql://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert normalize_database_url("sqlite+aiosqlite:///a.db") == "sqlite+aiosqlite:///a.db"
