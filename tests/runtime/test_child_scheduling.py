"""PIPELINE_SCHEDULING: the pipeline child runs niced, and with "idle" in Linux's SCHED_IDLE
class (its threads too, those it had and those it starts later); where that is not
available it still runs niced, and the bot starts anyway."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import subprocess
import time
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.runtime import supervisor
from bot.runtime.supervisor import ChildSupervisor, lower_priority
from bot.storage import Database
from tests.runtime.test_supervisor import python, wait_until

needs_idle = pytest.mark.skipif(
    not (hasattr(os, "SCHED_IDLE") and os.path.isdir("/proc/self/task")),
    reason="SCHED_IDLE is Linux's",
)

# A child that reports its own policy and that of a thread it starts after being told to go
# (so after the supervisor has set it up), then waits for stdin to close.
REPORT = """
import os, sys, threading
sys.stdin.readline()
seen = []
t = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
t.start(); t.join()
print(os.sched_getscheduler(0), seen[0], os.getpriority(os.PRIO_PROCESS, 0), flush=True)
sys.stdin.read()
"""


async def _policies(db: Database, scheduling: str) -> tuple[int, int, int]:
    out = io.StringIO()
    child = ChildSupervisor(db, python(REPORT), stream=out, scheduling=scheduling)
    job = asyncio.create_task(child.run())
    try:

        async def started() -> bool:
            return child.process is not None and child.process.stdin is not None

        await wait_until(started)
        assert child.process is not None and child.process.stdin is not None
        child.process.stdin.write(b"go\n")

        async def reported() -> bool:
            return bool(out.getvalue().strip())

        await wait_until(reported)
    finally:
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)
    main, thread, nice = (int(v) for v in out.getvalue().split()[1:4])
    return main, thread, nice


@needs_idle
async def test_idle_puts_the_child_and_its_later_threads_in_sched_idle(db: Database) -> None:
    main, thread, nice = await _policies(db, "idle")
    assert main == os.SCHED_IDLE and thread == os.SCHED_IDLE
    assert nice == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)  # niced as well


@needs_idle
async def test_the_default_leaves_the_child_in_the_normal_class_niced(db: Database) -> None:
    assert load_settings().pipeline_scheduling == "nice"
    main, thread, nice = await _policies(db, "nice")
    assert main == os.SCHED_OTHER and thread == os.SCHED_OTHER
    assert nice == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)


@needs_idle
def test_threads_the_child_already_runs_get_it_too() -> None:
    """Linux sets a policy per thread: a child that started threads before the supervisor got
    to it has all of them moved."""
    code = (
        "import sys, threading; ev = threading.Event()\n"
        "for _ in range(3): threading.Thread(target=ev.wait, daemon=True).start()\n"
        "print('up', flush=True); sys.stdin.read()"
    )
    proc = subprocess.Popen(python(code), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "up"
        assert lower_priority(proc.pid, scheduling="idle") == "idle"
        threads = [int(t) for t in os.listdir(f"/proc/{proc.pid}/task")]
        assert len(threads) == 4
        assert {os.sched_getscheduler(t) for t in threads} == {os.SCHED_IDLE}
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)


def test_without_sched_idle_the_child_still_runs_niced(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """macOS has no SCHED_IDLE (and Windows no priorities at all): best effort, no error."""
    proc = subprocess.Popen(python("import sys; sys.stdin.read()"), stdin=subprocess.PIPE)
    try:
        monkeypatch.delattr(os, "SCHED_IDLE", raising=False)
        with caplog.at_level(logging.INFO, logger=supervisor.__name__):
            applied = lower_priority(proc.pid, scheduling="idle")
        if hasattr(os, "getpriority"):
            assert applied == "nice"
            mine = os.getpriority(os.PRIO_PROCESS, 0)
            assert os.getpriority(os.PRIO_PROCESS, proc.pid) == min(19, mine + 10)
        else:
            assert applied == "none"
        assert "SCHED_IDLE is not available" in caplog.text
        if hasattr(os, "sched_getscheduler"):
            assert os.sched_getscheduler(proc.pid) == os.SCHED_OTHER
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)


def test_a_refused_sched_idle_leaves_the_child_niced(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel or container that refuses the call (EPERM, EINVAL): the child stays niced."""

    def refuse(*args: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setscheduler", refuse, raising=False)
    proc = subprocess.Popen(python("import sys; sys.stdin.read()"), stdin=subprocess.PIPE)
    try:
        expected = "nice" if hasattr(os, "getpriority") else "none"
        assert lower_priority(proc.pid, scheduling="idle") == expected
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)


def test_a_child_already_gone_is_not_an_error() -> None:
    proc = subprocess.Popen(python("pass"))
    proc.wait(10)
    time.sleep(0.05)
    assert lower_priority(proc.pid, scheduling="idle") == "none"


def test_the_setting_takes_nice_or_idle_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPELINE_SCHEDULING", "idle")
    assert load_settings().pipeline_scheduling == "idle"
    monkeypatch.setenv("PIPELINE_SCHEDULING", "realtime")
    with pytest.raises(ConfigError, match="PIPELINE_SCHEDULING"):
        load_settings()


async def test_run_gives_its_pipeline_child_the_setting(tmp_path: Path) -> None:
    from bot.discord.launcher import create_bot
    from bot.runtime.services import open_services

    for value in ("idle", "nice"):
        settings = load_settings(data_dir=tmp_path / value, pipeline_scheduling=value)
        async with open_services(settings) as services:
            job = create_bot(services)._jobs["pipeline-process"]  # never started
        assert isinstance(job.__self__, ChildSupervisor)  # type: ignore[attr-defined]
        assert job.__self__.scheduling == value  # type: ignore[attr-defined]
