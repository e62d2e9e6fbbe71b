from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import bot
from bot.config import Settings
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


def _register_every_table() -> None:
    """Import every domain `tables` module: each registers its Tables on the shared metadata."""
    for path in Path(bot.__file__).parent.rglob("tables.py"):
        rel = path.relative_to(Path(bot.__file__).parent.parent).with_suffix("")
        importlib.import_module(".".join(rel.parts))


async def test_runtime_tables_match_migrated_schema(db: Database) -> None:
    """The Table objects used at run time name exactly the columns the migrations created."""

    def columns(sync_conn: sa.Connection) -> dict[str, set[str]]:
        inspector = sa.inspect(sync_conn)
        return {
            name: {c["name"] for c in inspector.get_columns(name)}
            for name in inspector.get_table_names()
        }

    _register_every_table()
    async with db.connection() as conn:
        actual = await conn.run_sync(columns)
    for table in metadata.sorted_tables:
        assert table.name in actual, f"{table.name} has no migration"
        assert {c.name for c in table.columns} == actual[table.name], table.name


async def test_runtime_tables_declare_the_migrated_indexes(db: Database) -> None:
    """Every index the migrations create is declared on its Table too (and none is invented),
    so a reader of tables.py sees which queries are indexed."""

    def indexes(sync_conn: sa.Connection) -> dict[str, set[tuple[str, tuple[str, ...]]]]:
        inspector = sa.inspect(sync_conn)
        return {
            name: {
                (i["name"], tuple(c for c in i["column_names"] if c is not None))
                for i in inspector.get_indexes(name)
                if i["name"] is not None and not i.get("unique")
            }
            for name in inspector.get_table_names()
        }

    _register_every_table()
    async with db.connection() as conn:
        actual = await conn.run_sync(indexes)
    declared = {
        table.name: {
            (str(i.name), tuple(c.name for c in i.columns)) for i in table.indexes if not i.unique
        }
        for table in metadata.sorted_tables
    }
    assert declared == {name: actual.get(name, set()) for name in declared}


def test_database_url_normalisation() -> None:
    assert normalize_database_url("sqlite:///a.db") == "sqlite+aiosqlite:///a.db"
    assert normalize_database_url("postgresql://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert normalize_database_url("sqlite+aiosqlite:///a.db") == "sqlite+aiosqlite:///a.db"


def _unique_keys(sync_conn: sa.Connection) -> set[tuple[str, ...]]:
    found = sa.inspect(sync_conn).get_unique_constraints("articles")
    return {tuple(c["column_names"]) for c in found}


async def test_articles_are_unique_per_feed(db: Database) -> None:
    from bot.news.tables import articles

    declared = {
        tuple(c.name for c in constraint.columns)
        for constraint in articles.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    }
    async with db.connection() as conn:
        assert (
            await conn.run_sync(_unique_keys)
            == declared
            == {
                ("feed_id", "guid"),
                ("feed_id", "link"),
            }
        )


async def test_article_keys_migration_keeps_every_row(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """m0006 on a database with data: rows, coins, scores and ids survive; the same link
    can then be stored by a second feed; text longer than the limits is cut."""
    from bot.storage import db as db_module

    every = load_migrations()
    monkeypatch.setattr(db_module, "load_migrations", lambda: [m for m in every if m.version < 6])
    db = Database.connect(settings.resolved_database_url)
    await db.migrate()
    when = datetime(2025, 12, 13, 8, tzinfo=UTC).replace(tzinfo=None)  # raw SQL: naive UTC
    article = (
        "INSERT INTO articles (id, feed_id, story_id, guid, link, title, summary, language,"
        " source, published_at, fetched_at) VALUES (:id, :feed, :story, :guid, :link, :title,"
        " :summary, 'en', :source, :when, :when)"
    )
    async with db.begin() as conn:
        for fid, name in ((1, "Feed one"), (2, "x" * 5000)):
            await conn.execute(
                sa.text(
                    "INSERT INTO feeds (id, url, name, language, created_at)"
                    " VALUES (:id, :url, :name, 'en', :when)"
                ),
                {"id": fid, "url": f"https://{fid}.example/feed", "name": name, "when": when},
            )
        await conn.execute(
            sa.text(
                "INSERT INTO stories (id, title, language, signature, first_seen_at,"
                " last_seen_at) VALUES (1, :title, 'en', 's', :when, :when)"
            ),
            {"title": "T" * 1000, "when": when},
        )
        for aid, fid, title in ((1, 1, "One"), (2, 2, "word " * 2000), (3, 1, "Three")):
            await conn.execute(
                sa.text(article),
                {
                    "id": aid,
                    "feed": fid,
                    "story": 1,
                    "guid": f"g{aid}",
                    "link": f"https://news.example/{aid}",
                    "title": title,
                    "summary": "s" * (5000 if aid == 2 else 10),
                    "source": "x" * 5000 if fid == 2 else "Feed one",
                    "when": when,
                },
            )
            await conn.execute(
                sa.text("INSERT INTO article_coins (article_id, coin) VALUES (:a, 'BTC')"),
                {"a": aid},
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO article_sentiment (article_id, backend, model, label, score,"
                    " confidence, scored_at) VALUES (:a, 'lexicon', 'm', 'neutral', 0, 1, :when)"
                ),
                {"a": aid, "when": when},
            )
        await conn.execute(sa.text("DELETE FROM articles WHERE id = 3"))  # ids: never again
        if db.dialect == "postgresql":
            await conn.execute(sa.text("SELECT setval('articles_id_seq', 3)"))
    if db.dialect == "sqlite":  # what an interrupted run can leave behind
        async with db.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE articles_m0006 (id INTEGER)"))
    # Up to m0006 only: later migrations are not what this test is about.
    monkeypatch.setattr(db_module, "load_migrations", lambda: [m for m in every if m.version <= 6])
    assert await db.migrate() == [6]
    async with db.begin() as conn:
        rows = (await conn.execute(sa.text("SELECT * FROM articles ORDER BY id"))).all()
        assert [(r.id, r.feed_id, r.guid, r.link) for r in rows] == [
            (1, 1, "g1", "https://news.example/1"),
            (2, 2, "g2", "https://news.example/2"),
        ]
        assert (len(rows[1].title), len(rows[1].summary), len(rows[1].source)) == (300, 1000, 100)
        assert rows[1].title.endswith("…") and rows[0].title == "One"
        coins = await conn.scalar(sa.text("SELECT COUNT(*) FROM article_coins"))
        scores = await conn.scalar(sa.text("SELECT COUNT(*) FROM article_sentiment"))
        assert (coins, scores) == (2, 2)
        names = (await conn.execute(sa.text("SELECT name FROM feeds ORDER BY id"))).scalars()
        assert [len(n) for n in names] == [8, 100]
        assert len(await conn.scalar(sa.text("SELECT title FROM stories"))) == 300
        # Feed 2 stores feed 1's link: a row of its own.
        new_id = await conn.scalar(
            sa.text(article.replace(":id, ", "").replace("(id, ", "(") + " RETURNING id"),
            {
                "feed": 2,
                "story": None,
                "guid": "g1",
                "link": "https://news.example/1",
                "title": "One",
                "summary": "",
                "source": "Feed two",
                "when": when,
            },
        )
        assert new_id == 4
    with pytest.raises(sa.exc.IntegrityError):  # still once per feed
        async with db.begin() as conn:
            await conn.execute(
                sa.text(article),
                {
                    "id": 10,
                    "feed": 2,
                    "story": None,
                    "guid": "other",
                    "link": "https://news.example/1",
                    "title": "One",
                    "summary": "",
                    "source": "Feed two",
                    "when": when,
                },
            )
    async with db.begin() as conn:
        assert await conn.run_sync(_unique_keys) == {("feed_id", "guid"), ("feed_id", "link")}
        if db.dialect == "sqlite":
            assert not (await conn.execute(sa.text("PRAGMA foreign_key_check"))).all()
            leftovers = await conn.scalar(
                sa.text("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%m0006%'")
            )
            assert leftovers == 0
        # Foreign keys still hold: a feed's removal takes its articles' coins along.
        await conn.execute(sa.text("DELETE FROM feeds WHERE id = 1"))
        assert await conn.scalar(sa.text("SELECT COUNT(*) FROM article_coins")) == 1
        indexes = {i["name"] for i in await conn.run_sync(_indexes)}
        assert {"ix_articles_link", "ix_articles_published", "ix_articles_story"} <= indexes
    await db.close()


def _indexes(sync_conn: sa.Connection) -> list[Any]:
    return list(sa.inspect(sync_conn).get_indexes("articles"))
