"""The pipeline child under a memory tracer (bench/pass_memory.py --trace): `python -m
bench._pass_trace pipeline --once` runs the CLI as `python -m bot` does, with a thread that
samples the process every 10 ms and prints, at the end, what it held at its peak.

Each sample: RSS (/proc/self/status), glibc's heap (mallinfo2: bytes in use and free in the
arenas, bytes in mmapped chunks) and tracemalloc's traced Python memory when PASS_TRACEMALLOC
is set (its frame depth). At each new RSS peak (+2 MB over the last) the main and pipeline
threads' stacks are kept, and with tracemalloc a snapshot (at most every +10 MB, as taking it
costs time); the report prints the last ones and the snapshot's largest lines.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
import traceback
import tracemalloc

from bench._stats import status_mb


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _mallinfo() -> tuple[float, float, float]:
    """(in use, free, mmapped) MB of glibc's heap; zeros elsewhere."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        m = libc.mallinfo2()
    except (OSError, AttributeError):
        return 0.0, 0.0, 0.0
    mb = 1024 * 1024
    return m.uordblks / mb, m.fordblks / mb, m.hblkhd / mb


def _rss() -> tuple[float, float]:
    """(RSS, its private part RssAnon) in MB."""
    values = status_mb("VmRSS", "RssAnon")
    return values["VmRSS"], values["RssAnon"]


def _doing() -> str:
    """The innermost bot/ function of each busy thread: what the process is doing."""
    names = {t.ident: t.name for t in threading.enumerate()}
    out = []
    for ident, frame in sys._current_frames().items():
        name = names.get(ident, "")
        if name not in ("MainThread", "pipeline_0"):
            continue
        f = frame
        while f is not None and "/bot/" not in f.f_code.co_filename:
            f = f.f_back
        if f is not None:
            where = f.f_code.co_filename.rsplit("/bot/", 1)[1]
            out.append(f"{name[:4]}:{where}:{f.f_code.co_name}")
    return " ".join(sorted(out))


def _stacks() -> str:
    names = {t.ident: t.name for t in threading.enumerate()}
    out = []
    for ident, frame in sys._current_frames().items():
        name = names.get(ident, str(ident))
        if name == "pass-trace":
            continue
        lines = traceback.format_stack(frame, limit=14)
        out.append(
            f"  [{name}]\n" + "".join("    " + ln.strip().splitlines()[0] + "\n" for ln in lines)
        )
    return "".join(out)


class Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="pass-trace", daemon=True)
        self.start_time = time.monotonic()
        self.samples: list[tuple[float, float, float, float, float, float, float, str]] = []
        self.peak = 0.0
        self.peak_stacks = ""
        self.peak_info: tuple[float, ...] = ()
        self.snapshot: tracemalloc.Snapshot | None = None
        self.snapshot_rss = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.01):
            self.sample()

    def sample(self) -> None:
        rss, anon = _rss()
        used, free, mapped = _mallinfo()
        traced = tracemalloc.get_traced_memory()[0] / 2**20 if tracemalloc.is_tracing() else 0.0
        t = time.monotonic() - self.start_time
        self.samples.append((t, rss, anon, used, free, mapped, traced, _doing()))
        if rss > self.peak + 2:
            self.peak = rss
            self.peak_info = (t, rss, anon, used, free, mapped, traced)
            self.peak_stacks = _stacks()
            if tracemalloc.is_tracing() and rss > self.snapshot_rss + 10:
                self.snapshot = tracemalloc.take_snapshot()
                self.snapshot_rss = rss

    def report(self) -> None:
        self.stop.set()
        self.join(1)
        w = sys.stderr.write
        w(
            "pass-trace: t(s) RSS anon | malloc in use / free / mmapped | traced (MB) | "
            "doing; the largest RSS of each second\n"
        )
        second: dict[int, tuple[float, float, float, float, float, float, float, str]] = {}
        for sample in self.samples:
            key = int(sample[0])
            if key not in second or sample[1] > second[key][1]:
                second[key] = sample
        for t, rss, anon, used, free, mapped, traced, doing in second.values():
            w(
                f"  {t:6.1f} {rss:5.0f} {anon:5.0f} | {used:5.0f} {free:5.0f} {mapped:4.0f} | "
                f"{traced:6.1f} | {doing}\n"
            )
        if self.peak_info:
            t, rss, anon, used, free, mapped, traced = self.peak_info
            w(
                f"pass-trace: peak RSS {rss:.0f} MB (anon {anon:.0f}) at {t:.1f} s: "
                f"malloc in use {used:.0f}, "
                f"free {free:.0f}, mmapped {mapped:.0f}; traced {traced:.1f} MB\n"
            )
            w("pass-trace: stacks at the peak\n" + self.peak_stacks)
        if self.snapshot is not None:
            w(f"pass-trace: tracemalloc at RSS {self.snapshot_rss:.0f} MB, largest lines:\n")
            snap = self.snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
            for stat in snap.statistics("lineno")[:25]:
                w(f"  {stat.size / 2**20:7.1f} MB {stat.count:8d}  {stat.traceback}\n")
            w("pass-trace: by traceback (top 8)\n")
            for stat in snap.statistics("traceback")[:8]:
                w(f"  {stat.size / 2**20:7.1f} MB {stat.count:8d}\n")
                for line in stat.traceback.format()[-16:]:
                    w(f"      {line}\n")


def main() -> int:
    frames = int(os.environ.get("PASS_TRACEMALLOC", "0"))
    if frames:
        tracemalloc.start(frames)
    sampler = Sampler()
    sampler.start()
    from bot.cli import main as cli_main

    try:
        return cli_main()
    finally:
        sampler.report()


if __name__ == "__main__":
    raise SystemExit(main())
