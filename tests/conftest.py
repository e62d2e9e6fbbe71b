"""Shared fixtures: an isolated settings object and a migrated database per test.

The database is SQLite in the test's temporary directory, or, with TEST_DATABASE_URL set
(`make test-postgres`, CI), a fresh schema on that PostgreSQL server for every test:
DATABASE_URL then points at it, so every setting, service and engine a test builds uses it.
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import itertools
import os
import sys
import threading
from collections.abc import AsyncIterator, Coroutine, Generator, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings, load_settings
from bot.storage import Database

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRES = bool(TEST_DATABASE_URL)
_numbers = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: checks SQLite itself; skipped on PostgreSQL")
    config.addinivalue_line("markers", "postgres: needs TEST_DATABASE_URL (a PostgreSQL server)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if ON_POSTGRES and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="SQLite-specific; running on PostgreSQL"))
        if not ON_POSTGRES and item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.skip(reason="TEST_DATABASE_URL is not set"))


# Before pytest-timeout fails a hung test (pyproject.toml), say where it waits: the threads'
# stacks show only the event loop's select, so the asyncio tasks' await chains too. The report
# goes to stderr, which pytest shows with the failed test.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    timeout = _timeout_of(item)
    if timeout <= 0:
        return (yield)
    timer = threading.Timer(0.8 * timeout, _report_hang, args=(item.nodeid,))
    timer.daemon = True
    timer.start()
    try:
        return (yield)
    finally:
        timer.cancel()


def _timeout_of(item: pytest.Item) -> float:
    """pytest-timeout's limit for this test: its marker, --timeout, the ini value; 0: none."""
    if not item.config.pluginmanager.hasplugin("timeout"):
        return 0.0
    marker = item.get_closest_marker("timeout")
    if marker is not None and marker.args:
        return float(marker.args[0] or 0)
    option = item.config.getoption("timeout", None)
    return float(option if option is not None else item.config.getini("timeout") or 0)


def _report_hang(nodeid: str) -> None:
    out = sys.__stderr__
    assert out is not None
    print(f"\n== {nodeid} still runs; threads:", file=out)
    faulthandler.dump_traceback(file=out, all_threads=True)
    print("== asyncio tasks:", file=out)
    # From another thread: diagnostics only. asyncio.all_tasks retries while the set changes.
    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]
    for loop in loops:
        if loop.is_closed():
            continue
        for task in asyncio.all_tasks(loop):
            print(f"- {task.get_name()}:", file=out)
            for frame in _await_chain(task):
                code = frame.f_code
                print(f"    {code.co_filename}:{frame.f_lineno} in {code.co_name}", file=out)
    out.flush()


def _await_chain(task: asyncio.Task[Any]) -> Iterator[FrameType]:
    """The frames a task waits in, outermost first (Task.get_stack gives only the first)."""
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is not None:
            yield frame
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """Run admin SQL on its own loop and thread, whatever loop the test is using."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


async def _admin(*statements: str) -> None:
    import asyncpg

    url = make_url(TEST_DATABASE_URL)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """An empty schema of its own on the test server; yields a URL that works in it.

    A login role named like the schema makes it that role's default (search_path starts
    with "$user"), which is much cheaper than a database per test.
    """
    name = f"cryptobot_test_{os.getpid()}_{next(_numbers)}"
    _run(_admin(f'CREATE ROLE "{name}" LOGIN', f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"'))
    try:
        yield make_url(TEST_DATABASE_URL).set(username=name, password=None).render_as_string()
    finally:
        _run(
            _admin(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'",
                f'DROP SCHEMA "{name}" CASCADE',
                f'DROP ROLE "{name}"',
            )
        )


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """No test reads the developer's .env or writes into the working tree."""
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "FEEDS_FILE", "DATA_DIR", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    for name in ("SHARD_COUNT", "SHARD_IDS", "PIPELINE_ENABLED", "DELIVERIES_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    if ON_POSTGRES and not request.node.get_closest_marker("sqlite_only"):
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("postgres_database"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database.connect(settings.resolved_database_url)
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def other_db(settings: Settings, db: Database) -> AsyncIterator[Database]:
    """A second handle on `db`'s database, with its own engine and pool: another process
    (the pipeline child, or another Discord process)."""
    database = Database.connect(settings.resolved_database_url)
    try:
        yield database
    finally:
        await database.close()
