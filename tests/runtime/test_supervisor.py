"""`run`'s pipeline child: restarted with backoff when it dies, stopped cleanly with the bot,
its output copied with a prefix, its state recorded for `status`; and the real entry point
(`python -m bot pipeline --supervised`) publishing data and stopping when told."""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.cli.status import child_section
from bot.config import load_settings
from bot.runtime.health import last_pipeline_run
from bot.runtime.supervisor import ChildSupervisor, child_environment, child_state
from bot.storage import Database
from bot.storage.dataversion import data_version
from tests.discord.conftest import FeedServer
from tests.harness import write_feeds_file

UNREACHABLE = "http://127.0.0.1:9/nothing"


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


async def wait_until(check: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    """Poll `check` (another process's state: nothing to await but time)."""
    async with asyncio.timeout(within):
        for _ in itertools.count():
            if await check():
                return
            await asyncio.sleep(0.05)


async def test_a_dying_child_is_restarted_with_backoff(db: Database) -> None:
    out = io.StringIO()
    supervisor = ChildSupervisor(
        db,
        python("print('working', flush=True); raise SystemExit(3)"),
        stream=out,
        restart_base=0.2,
        restart_cap=0.4,
    )
    job = asyncio.create_task(supervisor.run())

    async def restarted_twice() -> bool:
        return supervisor.restarts >= 3

    loop = asyncio.get_running_loop()
    start = loop.time()
    await wait_until(restarted_twice)
    elapsed = loop.time() - start
    state = await child_state(db)
    job.cancel()
    await asyncio.gather(job, return_exceptions=True)
    assert out.getvalue().splitlines()[:2] == ["[pipeline] working", "[pipeline] working"]
    assert elapsed >= 0.2 + 0.4  # waits of 0.2, then 0.4 (capped), between the starts
    assert state is not None and state.last_exit == 3 and state.restarts >= 2
    assert state.state in ("restarting", "running")
    assert any("restart" in line for line in child_section(state))
    stopped = await child_state(db)
    assert stopped is not None and stopped.state == "stopped"  # stopped while down, too


async def test_the_child_is_stopped_cleanly_with_the_bot(db: Database) -> None:
    """Closing stdin is the stop signal: the child finishes its own shutdown and exits 0."""
    out = io.StringIO()
    code = (
        "import signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('up', flush=True); sys.stdin.read(); print('bye', flush=True)"
    )
    supervisor = ChildSupervisor(db, python(code), stream=out)
    job = asyncio.create_task(supervisor.run())

    async def up() -> bool:
        return "up" in out.getvalue()

    await wait_until(up)
    assert supervisor.process is not None
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, supervisor.process.pid) == min(19, mine + 10)
    job.cancel()
    await asyncio.gather(job, return_exceptions=True)
    assert supervisor.process.returncode == 0
    assert out.getvalue().splitlines() == ["[pipeline] up", "[pipeline] bye"]
    state = await child_state(db)
    assert state is not None and state.state == "stopped" and state.restarts == 0


async def test_a_child_that_ignores_the_stop_is_killed(db: Database) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('up', flush=True); time.sleep(60)"
    )
    out = io.StringIO()
    supervisor = ChildSupervisor(db, python(code), stream=out, stop_timeout=0.5)
    job = asyncio.create_task(supervisor.run())

    async def up() -> bool:
        return "up" in out.getvalue()

    await wait_until(up)
    job.cancel()
    async with asyncio.timeout(10):
        await asyncio.gather(job, return_exceptions=True)
    assert supervisor.process is not None and supervisor.process.returncode == -9


def test_the_child_runs_this_process_s_code() -> None:
    import bot

    root = str(Path(bot.__file__).resolve().parent.parent)
    assert child_environment()["PYTHONPATH"].split(":")[0] == root


async def test_the_real_pipeline_child_publishes_and_stops(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m bot pipeline --supervised` from the environment, as `run` starts it."""
    feeds_file = write_feeds_file(
        tmp_path / "feeds.toml",
        [("EN", feed_server.url("en.rss"), "en"), ("NL", feed_server.url("nl.rss"), "nl")],
    )
    env = {
        "DATA_DIR": str(tmp_path / "data"),
        "FEEDS_FILE": str(feeds_file),
        "FEEDS_ALLOW_PRIVATE": "true",  # the feed server is on loopback
        "SENTIMENT_BACKEND": "lexicon",
        "HTTP_TIMEOUT": "2",
        "MARKET_YAHOO_URL": UNREACHABLE,
        "MARKET_BINANCE_URL": UNREACHABLE,
        "MARKET_BINANCE_FALLBACK_URL": UNREACHABLE,
        "MARKET_COINGECKO_URL": UNREACHABLE,
        "MARKET_FNG_URL": UNREACHABLE,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    db = Database.connect(settings.resolved_database_url)
    await db.migrate()
    out = io.StringIO()
    supervisor = ChildSupervisor(db, stream=out)
    job = asyncio.create_task(supervisor.run())
    try:

        async def published() -> bool:
            return await data_version(db) > 0 and await last_pipeline_run(db) is not None

        await wait_until(published, within=60)
        run = await last_pipeline_run(db)
        assert run is not None and run.ok and run.new_articles > 0
        job.cancel()
        async with asyncio.timeout(15):
            await asyncio.gather(job, return_exceptions=True)
        assert supervisor.process is not None and supervisor.process.returncode == 0
        assert "[pipeline] " in out.getvalue() and "stdin closed" in out.getvalue()
    finally:
        job.cancel()
        await db.close()


async def test_run_supervises_the_pipeline_unless_it_runs_elsewhere(tmp_path: Path) -> None:
    from bot.discord.launcher import create_bot
    from bot.runtime.services import open_services

    for enabled, jobs in ((True, {"data-version", "pipeline-process"}), (False, {"data-version"})):
        settings = load_settings(data_dir=tmp_path / "data", pipeline_enabled=enabled)
        async with open_services(settings) as services:
            assert set(create_bot(services)._jobs) == jobs  # never started


def test_status_names_the_child_state_in_both_languages() -> None:
    from datetime import UTC, datetime

    from bot.i18n import use_language
    from bot.runtime.supervisor import ChildState

    when = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    running = ChildState("running", 4242, when, restarts=2)
    stopped = ChildState("stopped", None, when, restarts=0, updated_at=when)
    assert child_section(None) == []  # no child: the pipeline runs elsewhere
    with use_language("en"):
        lines = child_section(running)
        assert "running (pid 4242)" in lines[0] and "Restarted 2 times" in lines[1]
        assert len(child_section(stopped)) == 1 and "stopped" in child_section(stopped)[0]
    with use_language("nl"):
        lines = child_section(running)
        assert "draait (pid 4242)" in lines[0] and "2 keer herstart" in lines[1]


def test_the_child_bounds_malloc_arenas_unless_the_operator_set_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert child_environment()["MALLOC_ARENA_MAX"] == "2"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert child_environment()["MALLOC_ARENA_MAX"] == "4"
