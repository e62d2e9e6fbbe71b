"""The pipeline (and, with DISCORD_PROCESSES > 1, more Discord processes) as supervised child
processes of `python -m bot run`.

The child is `python -m bot pipeline --supervised`, the same entry point the scaled-out setup
runs on its own (docs/scaling.md): feeds, scoring and the market refresh then never share the
bot's GIL, and torch and the model live only in the child. The bot process:

- starts it, and restarts it with backoff (bot/utils/backoff.py) whenever it exits; a child
  that ran `HEALTHY_AFTER` seconds starts the count over;
- runs it CHILD_NICENESS steps nicer than itself, and with PIPELINE_SCHEDULING=idle in
  Linux's SCHED_IDLE class, so replies get the CPU first;
- copies its stdout and stderr, line by line, to its own stderr with a `[pipeline]` prefix;
- stops it on the way out: closing its stdin (the child exits on EOF, so it also goes away if
  this process is killed), then SIGTERM, then SIGKILL after `stop_timeout`;
- records its state in `app_state` (`pipeline:process`) for `python -m bot status`.

The extra Discord processes (`python -m bot run --supervised` with their own SHARD_IDS,
bot/shards.py `process_plan`) are supervised the same way, at the parent's priority, with a
`[discord-N]` prefix and the state key `discord:process:N`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import bot
from bot.storage import Database, kv
from bot.utils.backoff import exponential_backoff
from bot.utils.heap import MALLOC_ARENAS

log = logging.getLogger(__name__)

PROCESS_KEY = "pipeline:process"
HEALTHY_AFTER = 60.0  # seconds of running that reset the restart backoff
RESTART_BASE = 1.0
RESTART_CAP = 300.0
# The pipeline is background work: on a shared or small host the scheduler gives the Discord
# process (latency: a 3 s reply deadline) the CPU first. 10 steps is about 10x less weight.
CHILD_NICENESS = 10


# The extra Discord processes: `run` as a plain worker of its shards (the bench swaps in an
# instrumented wrapper of the same entry point).
DISCORD_CHILD_ARGS: tuple[str, ...] = ("-m", "bot", "run", "--supervised")


def pipeline_command() -> list[str]:
    return [sys.executable, "-m", "bot", "pipeline", "--supervised"]


def discord_command() -> list[str]:
    return [sys.executable, *DISCORD_CHILD_ARGS]


def discord_process_key(index: int) -> str:
    return f"discord:process:{index}"


# PIPELINE_SCHEDULING: "nice" runs the child CHILD_NICENESS steps nicer; "idle" also puts
# it in Linux's SCHED_IDLE class, where a woken Discord process takes its CPU at once and a CPU
# running only it counts as free (docs/scaling.md "CPU priority of the pipeline child").
def lower_priority(pid: int, steps: int = CHILD_NICENESS, *, scheduling: str = "nice") -> str:
    """Make a just-started child `steps` nicer than this process and, with "idle", put it in
    SCHED_IDLE (threads it starts later inherit both). Best effort: what was applied, "idle",
    "nice" or "none" (a platform without it, or the child already gone)."""
    applied = "none"
    try:
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, pid, min(19, mine + steps))
        applied = "nice"
    except (AttributeError, OSError):  # not on Windows; or the child is already gone
        log.debug("could not lower the priority of process %d", pid, exc_info=True)
    if scheduling == "idle" and _idle_class(pid):
        applied = "idle"
    return applied


def _idle_class(pid: int) -> bool:
    """SCHED_IDLE for every thread the child has so far (Linux sets a thread at a time)."""
    try:
        policy, param = os.SCHED_IDLE, os.sched_param(0)
        os.sched_setscheduler(pid, policy, param)  # its main thread
    except (AttributeError, OSError):  # no SCHED_IDLE here (macOS, Windows), refused, or gone
        log.info("SCHED_IDLE is not available for process %d; it runs niced", pid)
        log.debug("sched_setscheduler failed", exc_info=True)
        return False
    with contextlib.suppress(OSError):  # no /proc: the main thread is all we can reach
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):  # a thread that ended meanwhile
                os.sched_setscheduler(int(tid), policy, param)
    return True


# glibc gives each thread that allocates its own malloc arena (up to 8 per core), and each
# keeps freed memory: the pipeline's worker threads (scoring, translation, parsing) would
# hold tens of MB each. Two arenas bound that, as in the Discord process (bot.utils.heap); a
# value set by the operator wins.
CHILD_MALLOC_ARENAS = str(MALLOC_ARENAS)


def child_environment(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment (the same settings and .env), with this process's copy of
    the `bot` package first on the path, so the child runs the same code whatever its cwd;
    `overrides` replace variables of any case (settings are read case-insensitively)."""
    root = str(Path(bot.__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    env = {"MALLOC_ARENA_MAX": CHILD_MALLOC_ARENAS, **os.environ}
    if overrides:
        replaced = {name.upper() for name in overrides}
        env = {k: v for k, v in env.items() if k.upper() not in replaced} | overrides
    return env | {"PYTHONPATH": root + (os.pathsep + path if path else "")}


def stop_on_stdin_eof(loop: asyncio.AbstractEventLoop, stop: Callable[[], object]) -> None:
    """In a supervised child: call `stop` on the loop when stdin closes. The parent closes it
    to stop us, and the kernel does when the parent dies, so no child outlives it."""

    def wait_for_eof() -> None:
        with contextlib.suppress(OSError, ValueError):
            while sys.stdin.buffer.read(4096):
                pass
        log.info("stdin closed: the supervising process stopped; stopping")
        with contextlib.suppress(RuntimeError):  # the loop may be gone already
            loop.call_soon_threadsafe(stop)

    threading.Thread(target=wait_for_eof, name="stdin-watch", daemon=True).start()


@dataclass(frozen=True)
class ChildState:
    state: str  # running | restarting | stopped
    pid: int | None
    started_at: datetime | None
    restarts: int  # since the bot started
    last_exit: int | None = None  # the exit code (negative: killed by that signal)
    last_exit_at: datetime | None = None
    next_start_at: datetime | None = None
    updated_at: datetime | None = None


async def record_child_state(db: Database, state: ChildState, key: str = PROCESS_KEY) -> None:
    values = asdict(state)
    for name, value in values.items():
        if isinstance(value, datetime):
            values[name] = value.isoformat()
    await kv.set_value(db, key, json.dumps(values))


async def child_state(db: Database, key: str = PROCESS_KEY) -> ChildState | None:
    raw = await kv.get_value(db, key)
    if raw is None:
        return None
    values = json.loads(raw)
    for key in ("started_at", "last_exit_at", "next_start_at", "updated_at"):
        if values.get(key):
            values[key] = datetime.fromisoformat(values[key])
    return ChildState(**values)


class ChildSupervisor:
    """Keeps one child process running until cancelled (a job: `run()`)."""

    def __init__(
        self,
        db: Database,
        command: Sequence[str] | None = None,
        *,
        name: str = "pipeline",
        state_key: str = PROCESS_KEY,
        prefix: str | None = None,
        stream: TextIO | None = None,
        healthy_after: float = HEALTHY_AFTER,
        restart_base: float = RESTART_BASE,
        restart_cap: float = RESTART_CAP,
        stop_timeout: float = 10.0,
        env: dict[str, str] | None = None,
        niceness: int = CHILD_NICENESS,
        scheduling: str = "nice",
    ) -> None:
        self._db = db
        self._command = list(command or pipeline_command())
        self._name, self._key = name, state_key
        self._prefix = f"[{name}] " if prefix is None else prefix
        self._stream = stream
        self._healthy_after = healthy_after
        self._base, self._cap = restart_base, restart_cap
        self._stop_timeout = stop_timeout
        self._env = env or child_environment()
        self._niceness = niceness
        self.scheduling = scheduling  # PIPELINE_SCHEDULING: nice | idle
        self.restarts = 0
        self.process: asyncio.subprocess.Process | None = None

    async def run(self) -> None:
        failures = 0
        last_exit: tuple[int, datetime] | None = None
        while True:
            started = datetime.now(UTC)
            proc = await asyncio.create_subprocess_exec(
                *self._command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=self._env,
            )
            self.process = proc
            lower_priority(proc.pid, self._niceness, scheduling=self.scheduling)
            log.info("%s process started (pid %d)", self._name, proc.pid)
            await self._record("running", proc.pid, started, last_exit)
            try:
                code = await self._follow(proc)
            except asyncio.CancelledError:
                await self._stop(proc)
                await self._record("stopped", None, started, (proc.returncode or 0, _now()))
                raise
            ended = datetime.now(UTC)
            last_exit = (code, ended)
            ran = (ended - started).total_seconds()
            failures = 1 if ran >= self._healthy_after else failures + 1
            wait = exponential_backoff(failures, base=self._base, cap=self._cap)
            log.warning(
                "%s process %d exited with %d after %.0f s; restarting in %.0f s",
                self._name,
                proc.pid,
                code,
                ran,
                wait,
            )
            self.restarts += 1
            await self._record("restarting", None, started, last_exit, wait=wait)
            try:
                await asyncio.sleep(wait)
            except asyncio.CancelledError:  # the bot stops while the child is down
                await self._record("stopped", None, started, last_exit)
                raise

    async def _follow(self, proc: asyncio.subprocess.Process) -> int:
        """Copy the child's output until it exits; its exit code."""
        assert proc.stdout is not None
        stream = self._stream or sys.stderr
        async for line in proc.stdout:
            stream.write(self._prefix + line.decode("utf-8", "replace").rstrip("\n") + "\n")
            stream.flush()
        return await proc.wait()

    async def _stop(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is not None:
            return
        if proc.stdin is not None:  # EOF: the child's signal to stop (its own shutdown path)
            with contextlib.suppress(OSError):
                proc.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(self._drain(proc), self._stop_timeout)
        except TimeoutError:
            log.warning("%s process %d did not stop; killing it", self._name, proc.pid)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        log.info("%s process %d stopped (%s)", self._name, proc.pid, proc.returncode)

    async def _drain(self, proc: asyncio.subprocess.Process) -> None:
        with contextlib.suppress(Exception):
            await self._follow(proc)  # its last lines (shutdown messages) still reach the log
        await proc.wait()

    async def _record(
        self,
        state: str,
        pid: int | None,
        started: datetime,
        last_exit: tuple[int, datetime] | None,
        *,
        wait: float | None = None,
    ) -> None:
        now = _now()
        next_start = None
        if wait is not None:
            next_start = datetime.fromtimestamp(now.timestamp() + wait, UTC)
        state_now = ChildState(
            state=state,
            pid=pid,
            started_at=started,
            restarts=self.restarts,
            last_exit=last_exit[0] if last_exit else None,
            last_exit_at=last_exit[1] if last_exit else None,
            next_start_at=next_start,
            updated_at=now,
        )
        try:
            await record_child_state(self._db, state_now, self._key)
        except Exception:  # the state is for `status` only; the database may be what failed
            log.warning("could not record the %s process state", self._name, exc_info=True)


def _now() -> datetime:
    return datetime.now(UTC)
