"""`--discord-processes N`: the other Discord processes, measured like the bench's own.

With DISCORD_PROCESSES=N the bot in the bench's process (shard 0's owner) starts N - 1 Discord
children through its own supervisor, exactly as `python -m bot run` does; the bench swaps
their entry point (`python -m bot run --supervised`) for this module's, which runs the same
bot (create_bot, the same settings from the environment, stopped by stdin closing) plus a 5 ms
loop ticker, and talks to the bench through files in BENCH_SHARD_DIR/<pid>.*:

- `.ready`   written once the bot is ready (its shards connected);
- SIGUSR1    starts a measurement: the largest stall and the loop's CPU count from now;
- SIGUSR2    writes `.json`: {"stall_ms", "loop_cpu_s"} since SIGUSR1.

The bench reads RSS from /proc itself. `python -m bench.interactions --discord-processes 2`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import statistics
from dataclasses import dataclass
from pathlib import Path

from bench._stats import LoopTicker, status_mb
from bot.config import load_settings
from bot.discord.client import configure_endpoints
from bot.discord.eventloop import run
from bot.discord.launcher import create_bot
from bot.runtime.services import open_services
from bot.runtime.supervisor import discord_process_key, stop_on_stdin_eof
from bot.storage import Database

ARGS = ("-m", "bench.interactions.shardproc")  # bot.runtime.supervisor.DISCORD_CHILD_ARGS
DIR_ENV = "BENCH_SHARD_DIR"


def main_thread_cpu(pid: int | str = "self") -> float:
    """CPU seconds of a process's main thread (its event loop): /proc/<pid>/task/<pid>/stat."""
    pid = os.getpid() if pid == "self" else int(pid)
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _serve() -> None:
    settings = load_settings()
    files = Path(os.environ[DIR_ENV]) / str(os.getpid())
    ticker = LoopTicker()
    cpu_start = main_thread_cpu()
    configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    async with open_services(settings) as services:
        bot = create_bot(services)
        loop = asyncio.get_running_loop()
        tasks = [asyncio.create_task(ticker.run())]

        def close() -> None:
            tasks.append(asyncio.ensure_future(bot.close()))

        def begin() -> None:
            nonlocal cpu_start
            ticker.max_lateness, cpu_start = 0.0, main_thread_cpu()

        def report() -> None:
            cpu = main_thread_cpu() - cpu_start
            figures = {"stall_ms": ticker.max_lateness * 1000, "cpu_s": cpu}
            files.with_suffix(".tmp").write_text(json.dumps(figures))
            files.with_suffix(".tmp").replace(files.with_suffix(".json"))

        stop_on_stdin_eof(loop, close)
        loop.add_signal_handler(signal.SIGTERM, close)
        loop.add_signal_handler(signal.SIGUSR1, begin)
        loop.add_signal_handler(signal.SIGUSR2, report)

        async def announce() -> None:
            await bot.wait_until_ready()
            files.with_suffix(".ready").write_text("ready")

        tasks.append(asyncio.create_task(announce()))
        async with bot:
            await bot.start(settings.require_token())
        for task in tasks:
            task.cancel()


@dataclass
class ProcessFigures:
    """One Discord process during the load (the bench's own is number 0)."""

    number: int
    shards: str
    stall_ms: float
    loop_cpu_s: float
    rss_mb: float = 0.0


class Children:
    """The bench's side: find the children, start and end their measurement, read it."""

    def __init__(self, directory: Path, db: Database, count: int, shards: list[str]) -> None:
        self.directory, self.db, self.count, self.shards = directory, db, count, shards
        self.pids: list[int] = []

    async def ready(self, within: float = 90) -> None:
        from bot.runtime.supervisor import child_state

        async with asyncio.timeout(within):
            while True:
                states = [await child_state(self.db, discord_process_key(n)) for n in self.numbers]
                pids = [s.pid for s in states if s is not None and s.pid is not None]
                ready = [p for p in pids if _exists(self.directory / f"{p}.ready")]
                if len(ready) == len(self.numbers):
                    self.pids = ready
                    return
                await asyncio.sleep(0.1)

    @property
    def numbers(self) -> range:
        return range(1, self.count)

    def begin(self) -> None:
        for pid in self.pids:
            os.kill(pid, signal.SIGUSR1)

    async def end(self) -> list[ProcessFigures]:
        for pid in self.pids:
            (self.directory / f"{pid}.json").unlink(missing_ok=True)
            os.kill(pid, signal.SIGUSR2)
        figures = []
        for n, pid in zip(self.numbers, self.pids, strict=True):
            path = self.directory / f"{pid}.json"
            await _appeared(path, within=10)
            values = json.loads(path.read_text())
            figures.append(ProcessFigures(n, self.shards[n], values["stall_ms"], values["cpu_s"]))
        return figures

    def rss(self, figures: list[ProcessFigures]) -> None:
        for figure, pid in zip(figures, self.pids, strict=True):
            figure.rss_mb = status_mb("VmRSS", pid=pid)["VmRSS"]


def _exists(path: Path) -> bool:
    return path.exists()  # a stat of a local file: not worth a thread


async def _appeared(path: Path, within: float) -> None:
    """Wait for a file another process writes (nothing to await but time)."""
    async with asyncio.timeout(within):
        for _ in itertools.count():
            if _exists(path):
                return
            await asyncio.sleep(0.02)


def print_processes(figures: list[ProcessFigures]) -> None:
    if len(figures) < 2:
        return
    for f in figures:
        print(
            f"    Discord process {f.number} (shards {f.shards}): largest stall "
            f"{f.stall_ms:.0f} ms, loop CPU {f.loop_cpu_s:.2f} s, RSS {f.rss_mb:.0f} MB"
        )
    print(
        f"    over the {len(figures)} Discord processes: largest stall "
        f"{max(f.stall_ms for f in figures):.0f} ms, largest RSS "
        f"{max(f.rss_mb for f in figures):.0f} MB, loop CPU "
        f"{sum(f.loop_cpu_s for f in figures):.2f} s in all"
    )


def print_summary(runs: list[list[ProcessFigures]]) -> None:
    """Medians over the runs: the largest stall and RSS over the processes, the loop CPU of
    each process (CPU seconds are less distorted by other load than wall-clock figures)."""
    runs = [r for r in runs if len(r) > 1]
    if not runs:
        return
    stall = statistics.median(max(f.stall_ms for f in r) for r in runs)
    rss = statistics.median(max(f.rss_mb for f in r) for r in runs)
    cpu = [statistics.median(r[n].loop_cpu_s for r in runs) for n in range(len(runs[0]))]
    print(
        f"  Discord processes (medians of {len(runs)}): largest stall over them {stall:.0f} ms, "
        f"largest RSS {rss:.0f} MB, loop CPU per process "
        + " / ".join(f"{c:.2f}" for c in cpu)
        + " s"
    )


if __name__ == "__main__":
    # The bench prints the parent's figures; the children's log would only interleave.
    logging.basicConfig(level=os.environ.get("BENCH_SHARD_LOG", "CRITICAL"))
    with contextlib.suppress(KeyboardInterrupt):
        run(_serve())
