"""Where the loop's time goes: a stall watch (the 5 ms ticker plus a watchdog thread that
samples the main thread's stack while the loop lags), and counts of the bot's warnings."""

from __future__ import annotations

import asyncio
import collections
import gc
import logging
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from bench import ROOT
from bench._stats import LoopTicker, status_mb

STALLS_KEPT = 3  # the longest stalls, with their stack samples, that a run reports


class MemoryTrace:
    """--memory-every: this (the Discord) process's anonymous memory and Python's allocated
    blocks, sampled on the loop during the load. Growth with the blocks flat is freed heap
    that malloc kept; growth with them is objects kept alive (tracemalloc says by whom)."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.samples: list[tuple[float, float, int]] = []  # (seconds, RssAnon MB, blocks)

    async def run(self) -> None:
        start = time.perf_counter()
        while True:
            anon = status_mb("RssAnon")["RssAnon"]
            self.samples.append((time.perf_counter() - start, anon, sys.getallocatedblocks()))
            await asyncio.sleep(self.every)

    def summary(self) -> list[str]:
        if not self.samples:
            return []
        anon = [a for _, a, _ in self.samples]
        (_, first, blocks0), (end, last, blocks1) = self.samples[0], self.samples[-1]
        series = " ".join(f"{a:.0f}" for a in anon)
        return [
            f"RssAnon of this (the Discord) process every {self.every:g} s over {end:.0f} s: "
            f"{first:.0f} -> {last:.0f} MB (min {min(anon):.0f}, max {max(anon):.0f}); Python's "
            f"allocated blocks {blocks0 / 1e6:.2f} -> {blocks1 / 1e6:.2f} M",
            f"  RssAnon MB: {series}",
        ]


@dataclass
class Stall:
    start: float
    seconds: float = 0.0
    samples: list[traceback.StackSummary] = field(default_factory=list)


class StallWatch(LoopTicker):
    """A 5 ms ticker on the loop (worst lateness) and a watchdog thread that samples the main
    thread's stack every 10 ms while the ticker is late by more than `threshold` (it looks
    every 10 ms, or every 2 ms while profiling)."""

    def __init__(self, threshold: float) -> None:
        super().__init__(tick=0.005)
        self.threshold = threshold
        self.beat = time.perf_counter()
        self.stalls: list[Stall] = []
        self._open: Stall | None = None
        self._main = threading.main_thread().ident
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sampled = 0.0
        self.profiling = False  # sample the main thread continuously (where the loop's time goes)
        self.profile: collections.Counter[str] = collections.Counter()

    def woke(self, now: float) -> None:
        with self._lock:
            self.beat = now
            if self._open is not None:
                self._open.seconds = now - self._open.start
                self.stalls.append(self._open)
                self._open = None
                # Only the longest are printed: keeping every stall's stacks grew this
                # (the measured) process by ~6 MB over a 90 s sustained run.
                if len(self.stalls) > STALLS_KEPT:
                    self.stalls.remove(min(self.stalls, key=lambda s: s.seconds))

    def _watch(self) -> None:
        # Each wake-up of this thread preempts the loop's thread and takes the GIL from it: a
        # 2 ms poll cost the loop 200-300 preemptions per 200-burst (75-90 at 10 ms). Stalls are
        # sampled every 10 ms anyway; only the continuous profile (--profile) needs 2 ms.
        while not self._stop.wait(0.002 if self.profiling else min(0.010, self.threshold / 5)):
            now = time.perf_counter()
            stall = None
            with self._lock:
                if now - self.beat >= self.threshold + self.tick:
                    if self._open is None:
                        self._open = Stall(self.beat + self.tick)
                    stall = self._open
            if stall is None and not self.profiling:
                continue
            # A stack sample holds the GIL the loop waits for: in a stall, one per 10 ms.
            if not self.profiling and now - self._sampled < 0.010:
                continue
            self._sampled = now
            frame: FrameType | None = sys._current_frames().get(self._main or 0)
            if frame is None:
                continue
            # Without the source lines: linecache would keep the source of every module on
            # the stack in this process, whose RSS the bench reports (~10 MB over a sustained run).
            stack = traceback.StackSummary.extract(traceback.walk_stack(frame), lookup_lines=False)
            stack.reverse()  # outermost first, as extract_stack gives it
            if stall is not None:
                stall.samples.append(stack)
            if self.profiling:
                self.profile[where(stack)] += 1

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._watch, name="stall-watchdog", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def reset(self) -> None:
        with self._lock:
            self.max_lateness, self.stalls, self._open = 0.0, [], None
            self.profile = collections.Counter()


OWN_CODE = (str(ROOT / "bot"), str(ROOT / "cogs"))


def where(stack: traceback.StackSummary) -> str:
    """The innermost frame in our code, else the outermost library frame under the loop."""
    inner = stack[-1]
    if inner.name == "select" and inner.filename.endswith("selectors.py"):
        return "(idle: waiting in select)"
    ours = [f for f in stack if f.filename.startswith(OWN_CODE)]
    if ours:
        f = ours[-1]
        return f"{Path(f.filename).relative_to(ROOT)}:{f.lineno} {f.name}"
    calls = [f for f in stack if "site-packages" in f.filename or "/tests/" in f.filename]
    f = calls[0] if calls else inner
    return f"{'/'.join(Path(f.filename).parts[-2:])}:{f.lineno} {f.name}"


class LogCounts(logging.Handler):
    """Counts the bot's warnings and errors by logger and message (printed per run)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if "voice will NOT be supported" not in str(record.msg):
            self.counts[f"{record.levelname} {record.name}: {record.msg}"] += 1


LOG_COUNTS = LogCounts()


class GcTimer:
    """The garbage collector's pauses in this process while on: count per generation, total
    and longest, in CPU time of the collecting thread (less distorted by a loaded machine
    than wall time; each pause stalls whichever thread allocated)."""

    def __init__(self) -> None:
        self.counts: collections.Counter[int] = collections.Counter()
        self.seconds = 0.0
        self.longest = 0.0
        self._began = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.thread_time()
            return
        pause = time.thread_time() - self._began
        self.counts[info["generation"]] += 1
        self.seconds += pause
        self.longest = max(self.longest, pause)

    def __enter__(self) -> GcTimer:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        gens = ", ".join(f"gen{g} x{n}" for g, n in sorted(self.counts.items())) or "none"
        total, longest = self.seconds * 1000, self.longest * 1000
        return f"{gens}: {total:.0f} ms CPU in all, longest {longest:.0f} ms"
