"""What the benchmarks measure and report besides wall time: percentiles and medians, memory,
CPU seconds by thread, and how late the event loop runs a 5 ms ticker (its largest stall)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import resource
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def percentile(values: list[float], q: float) -> float:
    """The value at rank q (0..1) of the sorted values, nearest rank (no interpolation)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median_of(results: Iterable[T], get: Callable[[T], float]) -> float:
    """The median of one figure over several runs' results."""
    return statistics.median(get(r) for r in results)


# -- memory ------------------------------------------------------------------------------------


def status_mb(*keys: str, pid: int | str = "self") -> dict[str, float]:
    """Memory lines of /proc/<pid>/status (VmRSS, VmHWM, RssAnon, RssFile...) in MB; a key
    missing (or the process gone) reads 0."""
    values = dict.fromkeys(keys, 0.0)
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0]) / 1024
    return values


async def follow_memory(proc: asyncio.subprocess.Process) -> tuple[float, float]:
    """Until the child exits: its peak resident set (VmHWM) and its RSS when last seen, MB."""
    peak = end = 0.0
    while proc.returncode is None:
        values = status_mb("VmHWM", "VmRSS", pid=proc.pid)
        peak, end = max(peak, values["VmHWM"]), values["VmRSS"] or end
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), 0.2)
    return peak, end


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    return status_mb("VmRSS")["VmRSS"] or float("nan")


def peak_rss_mb() -> float:
    """This process's largest resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- CPU by thread ----------------------------------------------------------------------------


def thread_cpu() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) of each of this process's threads: {tid: (kind, seconds)}."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    cpu = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        tid = int(task.name)
        name = "event loop" if tid == os.getpid() else names.get(tid, "other")
        if "_connection_worker_thread" in name or "aiosqlite" in name:
            name = "aiosqlite"
        elif name.startswith("asyncio_"):
            name = "to_thread pool"
        elif "process_request_thread" in name or "serve_forever" in name:
            name = "feed server"
        cpu[tid] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return cpu


def cpu_delta(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    """CPU seconds between two thread_cpu() readings, summed by kind of thread."""
    by_kind: dict[str, float] = collections.defaultdict(float)
    for tid, (name, seconds) in after.items():
        by_kind[name] += seconds - before.get(tid, (name, 0.0))[1]
    return dict(by_kind)


# -- event-loop stalls -------------------------------------------------------------------------


class LoopTicker:
    """A task that sleeps `tick` seconds over and over and records how late it wakes: the
    worst lateness is the largest event-loop stall. Run `run()` as a task; it ends at the
    next wake-up once `stopping` is set (or cancel it)."""

    def __init__(self, tick: float = 0.005) -> None:
        self.tick = tick
        self.max_lateness = 0.0
        self.stopping = False

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.stopping:
            before = loop.time()
            await asyncio.sleep(self.tick)
            late = loop.time() - before - self.tick
            now = time.perf_counter()
            self.woke(now)
            self.max_lateness = max(self.max_lateness, late)

    def woke(self, now: float) -> None:
        """Called at every wake-up (perf_counter time); for subclasses."""
