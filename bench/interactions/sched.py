"""What each process of a run did with the CPUs during the load: time on a CPU, time runnable
but waiting for one (the kernel's /proc/<pid>/task/<tid>/schedstat), and the switches.

Wall time that is neither is time asleep: waiting for a socket, a lock, a thread. A slow burst
whose event loop waited long for a CPU was held up by the scheduler; one whose loop neither ran
nor waited was waiting for another process (the fake, the database). Linux only: elsewhere the
figures are empty.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sched:
    run_s: float = 0.0  # on a CPU
    wait_s: float = 0.0  # runnable, waiting on a run queue
    slices: int = 0  # times it was put on a CPU
    involuntary: int = 0  # switches that took the CPU away while it was runnable

    def __sub__(self, other: Sched) -> Sched:
        return Sched(
            self.run_s - other.run_s,
            self.wait_s - other.wait_s,
            self.slices - other.slices,
            self.involuntary - other.involuntary,
        )

    def __add__(self, other: Sched) -> Sched:
        return Sched(
            self.run_s + other.run_s,
            self.wait_s + other.wait_s,
            self.slices + other.slices,
            self.involuntary + other.involuntary,
        )


def task_sched(pid: int, tid: int) -> Sched:
    """One thread's counters so far (zeros once it is gone)."""
    base = Path(f"/proc/{pid}/task/{tid}")
    with contextlib.suppress(OSError, ValueError, IndexError):
        run_ns, wait_ns, slices = (int(v) for v in (base / "schedstat").read_text().split()[:3])
        involuntary = 0
        for line in (base / "status").read_text().splitlines():
            if line.startswith("nonvoluntary_ctxt_switches:"):
                involuntary = int(line.split()[1])
        return Sched(run_ns / 1e9, wait_ns / 1e9, slices, involuntary)
    return Sched()


def process_sched(pid: int) -> dict[int, Sched]:
    """Every thread of a process: {tid: counters}."""
    with contextlib.suppress(OSError):
        return {int(t): task_sched(pid, int(t)) for t in os.listdir(f"/proc/{pid}/task")}
    return {}


def busy_cpu_s() -> float:
    """CPU seconds all CPUs spent busy so far, the whole machine (/proc/stat; 10 ms ticks)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # idle, iowait
    return 0.0


class SchedWatch:
    """Counters of named processes between `begin()` and `end()`. The bot's own event loop
    (this process's main thread) is reported apart from its other threads."""

    def __init__(self) -> None:
        self._pids: dict[str, int] = {}
        self._before: dict[str, dict[int, Sched]] = {}
        self.figures: dict[str, Sched] = {}

    def begin(self, pids: dict[str, int | None]) -> None:
        self._pids = {name: pid for name, pid in pids.items() if pid}
        self._pids["bot"] = os.getpid()
        self._before = {name: process_sched(pid) for name, pid in self._pids.items()}
        self._busy = busy_cpu_s()

    def end(self) -> dict[str, Sched]:
        figures: dict[str, Sched] = {}
        me = os.getpid()
        for name, pid in self._pids.items():
            before = self._before.get(name, {})
            for tid, now in process_sched(pid).items():
                key = "bot loop" if tid == me else ("bot threads" if name == "bot" else name)
                figures[key] = figures.get(key, Sched()) + (now - before.get(tid, Sched()))
        # The rest of the machine (other benchmarks): busy time not ours, to 10 ms per CPU.
        ours = sum(s.run_s for s in figures.values())
        figures["the rest"] = Sched(run_s=max(0.0, busy_cpu_s() - self._busy - ours))
        self.figures = figures
        return figures


def describe(figures: dict[str, Sched]) -> str:
    """One line per process: ran / waited for a CPU, in ms, and the slices (the names
    SchedWatch gives: its roles, "bot loop", "bot threads", "discord-N", "the rest")."""
    order = ["bot loop", "bot threads", "discord-", "fake", "pipeline", "feeds", "the rest"]
    lines = []
    rank = {name: i for i, name in enumerate(order)}
    for name in sorted(figures, key=lambda n: (rank.get(n.rstrip("0123456789"), 5), n)):
        s = figures[name]
        if name == "the rest":
            lines.append(f"{name:12} ran {1000 * s.run_s:6.0f} ms (other processes; /proc/stat)")
            continue
        lines.append(
            f"{name:12} ran {1000 * s.run_s:6.0f} ms, waited for a CPU {1000 * s.wait_s:5.0f} ms"
            f" ({s.slices} slices, {s.involuntary} preempted)"
        )
    return "\n".join(lines)
