"""--timeline: what each interaction waited for, lined up against the pipeline's events.

Installed in the bot's process for one run (patches, undone by `uninstall`), it records:
- each interaction (the command tree's `_call`, autocompletes included): when the fake
  created it (its snowflake's millisecond), when the bot started it and finished it, and the
  time it spent in each wait: the admission gate, each cached read (`cache <kind>`, split
  into a computation it started itself and one it joined), the pool checkout, and every
  aiosqlite call split into its queue (waiting for the connection's thread), its run in the
  thread (SQLite, busy waits, the GIL) and its wake-up (the loop resuming the caller);
- each cache computation (key kind, start, end, the same database waits);
- each default-executor job (`asyncio.to_thread`: the chart, the market report);
- events: pass start and end, each data version the watcher sees, each read invalidation.

`summary()` prints the slow interactions' breakdown and the computations after each new data
version; `dump(path)` writes everything as JSON for a closer look.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite.core
import discord
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.compose.reads import Reads
from bot.discord.admission import AdmissionGate
from bot.discord.tree import BotTree
from bot.utils.cache import ReadCache

DISCORD_EPOCH_MS = 1_420_070_400_000


@dataclass
class Span:
    """One interaction, or one cache computation: times in seconds since the timeline began."""

    label: str
    start: float
    created: float = 0.0  # interactions: when the fake created it
    end: float = 0.0
    waits: dict[str, float] = field(default_factory=lambda: collections.defaultdict(float))

    def add(self, what: str, seconds: float) -> None:
        self.waits[what] += seconds


_interaction: contextvars.ContextVar[Span | None] = contextvars.ContextVar("tl_i", default=None)
_computation: contextvars.ContextVar[Span | None] = contextvars.ContextVar("tl_c", default=None)


class Timeline:
    def __init__(self) -> None:
        self.origin = time.perf_counter()
        self._epoch_offset = time.time() - self.origin  # perf_counter -> wall clock
        self.interactions: list[Span] = []
        self.computations: list[Span] = []
        self.executor: list[Span] = []
        self.events: list[tuple[float, str]] = []
        self._undo: list[Callable[[], None]] = []
        self.window = (0.0, float("inf"))  # the load, set by `load_began` / `load_ended`

    def now(self) -> float:
        return time.perf_counter() - self.origin

    def event(self, what: str) -> None:
        self.events.append((self.now(), what))

    def load_began(self) -> None:
        self.window = (self.now(), float("inf"))

    def load_ended(self) -> None:
        self.window = (self.window[0], self.now())

    # -- patches -------------------------------------------------------------------------------

    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        setattr(owner, name, make(original))
        self._undo.append(lambda: setattr(owner, name, original))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def track(self, owner: Any, name: str, what: str) -> None:
        """Record `what start` and `what end` around an async method (e.g. a pass)."""

        def make(original: Any) -> Any:
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                self.event(f"{what} start")
                try:
                    return await original(*args, **kwargs)
                finally:
                    self.event(f"{what} end")

            return wrapper

        self._patch(owner, name, make)

    def install(self, data_watch: Any) -> None:
        tl = self
        data_watch.subscribe(lambda version: tl.event(f"data version {version}"))

        def wait(what: str, seconds: float) -> None:
            span = _computation.get() or _interaction.get()
            if span is not None:
                span.add(what, seconds)

        def call(original: Any) -> Any:
            async def _call(self: Any, interaction: discord.Interaction[Any]) -> None:
                label = _label(interaction)
                span = Span(label, tl.now())
                span.created = (
                    ((interaction.id >> 22) + DISCORD_EPOCH_MS) / 1000
                    - tl._epoch_offset
                    - tl.origin
                )
                token = _interaction.set(span)
                try:
                    await original(self, interaction)
                finally:
                    span.end = tl.now()
                    _interaction.reset(token)
                    tl.interactions.append(span)

            return _call

        def timed(label: str, original: Any) -> Any:
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                began = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    wait(label, time.perf_counter() - began)

            return wrapper

        def cache_get(original: Any) -> Any:
            async def get(self: Any, key: Any, compute: Any, **kwargs: Any) -> Any:
                kind = str(key[0] if isinstance(key, tuple) else key)
                started = False

                def timed_compute() -> Any:
                    nonlocal started
                    started = True
                    span = Span(kind, tl.now())

                    async def run() -> Any:
                        token = _computation.set(span)
                        try:
                            return await compute()
                        finally:
                            span.end = tl.now()
                            _computation.reset(token)
                            tl.computations.append(span)

                    return run()

                began = time.perf_counter()
                try:
                    return await original(self, key, timed_compute, **kwargs)
                finally:
                    spent = time.perf_counter() - began
                    span = _interaction.get()
                    if span is not None and _computation.get() is None:
                        span.add(f"cache {kind} ({'computed' if started else 'joined'})", spent)

            return get

        def aiosqlite_execute(original: Any) -> Any:
            async def _execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
                marks: dict[str, float] = {}

                def run() -> Any:
                    marks["run"] = time.perf_counter()
                    try:
                        return fn(*args, **kwargs)
                    finally:
                        marks["ran"] = time.perf_counter()

                queued = time.perf_counter()
                try:
                    return await original(self, run)
                finally:
                    back = time.perf_counter()
                    if "ran" in marks:
                        wait("sqlite queue", marks["run"] - queued)
                        wait("sqlite run", marks["ran"] - marks["run"])
                        wait("sqlite wake", back - marks["ran"])

            return _execute

        def to_thread(original: Any) -> Any:
            async def wrapper(func: Any, /, *args: Any, **kwargs: Any) -> Any:
                span = Span(getattr(func, "__qualname__", repr(func)), tl.now())
                try:
                    return await original(func, *args, **kwargs)
                finally:
                    span.end = tl.now()
                    tl.executor.append(span)

            return wrapper

        def noted(what: str) -> Callable[[Any], Any]:
            def make(original: Any) -> Any:
                def wrapper(self: Any) -> None:
                    tl.event(what)
                    original(self)

                return wrapper

            return make

        self._patch(BotTree, "_call", call)
        self._patch(AdmissionGate, "enter", lambda o: timed("admission", o))
        self._patch(ReadCache, "get", cache_get)
        self._patch(AsyncConnection, "start", lambda o: timed("pool checkout", o))
        self._patch(aiosqlite.core.Connection, "_execute", aiosqlite_execute)
        self._patch(asyncio, "to_thread", to_thread)
        self._patch(Reads, "invalidate", noted("reads cleared"))
        if hasattr(Reads, "refresh"):  # answers recomputed in the background
            self._patch(Reads, "refresh", noted("reads refreshed"))

    # -- report --------------------------------------------------------------------------------

    def _in_load(self, spans: list[Span]) -> list[Span]:
        low, high = self.window
        return [s for s in spans if low <= s.start <= high]

    def _versions(self) -> list[float]:
        return [t for t, what in self.events if what.startswith("data version")]

    def since_version(self, t: float) -> float:
        """Seconds since the latest data version seen at `t` (inf before the first)."""
        before = [v for v in self._versions() if v <= t]
        return t - before[-1] if before else float("inf")

    def summary(self, slow_ms: float = 100.0, top: int = 12) -> list[str]:
        lines = []
        low, high = self.window
        load_events = [(t - low, w) for t, w in self.events if low <= t <= high]
        counts = collections.Counter(" ".join(w.split(" ")[:2]) for _, w in load_events)
        lines.append(
            "timeline of the load: "
            + ", ".join(f"{n} x {what}" for what, n in counts.items())
            + "; data versions at "
            + ", ".join(f"{t:.1f}" for t, w in load_events if w.startswith("data version"))
            + " s"
        )
        spans = self._in_load(self.interactions)
        slow = [s for s in spans if (s.end - s.created) * 1000 > slow_ms]
        lines.append(
            f"  {len(slow)} of {len(spans)} interactions took over {slow_ms:.0f} ms "
            "(bot side: created -> handled)"
        )
        if slow:
            after = [self.since_version(s.start) for s in slow]
            near = sum(a < 2.0 for a in after)
            lines.append(
                f"  of those, {near} started within 2 s of a new data version "
                f"(median {statistics.median(after):.2f} s after one)"
            )
            lines.append(
                "  where the slow ones spent their time (mean ms; arrival = created -> started):"
            )
            totals: dict[str, float] = collections.defaultdict(float)
            for s in slow:
                totals["arrival"] += s.start - s.created
                for k, v in s.waits.items():
                    totals[k] += v
                totals["(total)"] += s.end - s.created
            for k, v in _largest(totals, top):
                lines.append(f"    {1000 * v / len(slow):7.1f}  {k}")
            lines.append("  the slowest:")
            for s in sorted(slow, key=lambda s: s.created - s.end)[:top]:
                ordered = sorted(s.waits.items(), key=lambda i: -i[1])
                parts = ", ".join(f"{k} {1000 * v:.0f}" for k, v in ordered if v > 0.002)
                lines.append(
                    f"    {1000 * (s.end - s.created):5.0f} ms {s.label:24} "
                    f"at {s.start - low:5.1f} s "
                    f"({self.since_version(s.start):.2f} s after a version): "
                    f"arrival {1000 * (s.start - s.created):.0f}, {parts}"
                )
        comps = self._in_load(self.computations)
        if comps:
            lines.append(
                "  cache computations during the load, by kind: n, ms p50 / max, "
                "and their waits (mean ms)"
            )
            by_kind: dict[str, list[Span]] = collections.defaultdict(list)
            for c in comps:
                by_kind[c.label].append(c)
            for kind, group in sorted(by_kind.items(), key=lambda i: -len(i[1])):
                took = [1000 * (c.end - c.start) for c in group]
                waits: dict[str, float] = collections.defaultdict(float)
                for c in group:
                    for k, v in c.waits.items():
                        waits[k] += v
                n = len(group)
                parts = ", ".join(f"{k} {1000 * v / n:.1f}" for k, v in _largest(waits, 4))
                lines.append(
                    f"    {kind:14} n={n:4} {statistics.median(took):6.0f} / "
                    f"{max(took):6.0f}  {parts}"
                )
        jobs = self._in_load(self.executor)
        if jobs:
            by_name: dict[str, float] = collections.defaultdict(float)
            for j in jobs:
                by_name[j.label] += j.end - j.start
            lines.append(
                "  default-executor jobs (wall s): "
                + ", ".join(f"{k} {v:.2f}" for k, v in _largest(by_name, 5))
            )
        return lines

    def dump(self, path: str) -> None:
        def rows(spans: list[Span]) -> list[dict[str, Any]]:
            return [{**vars(s), "waits": dict(s.waits)} for s in spans]

        Path(path).write_text(
            json.dumps(
                {
                    "window": self.window,
                    "events": self.events,
                    "interactions": rows(self.interactions),
                    "computations": rows(self.computations),
                    "executor": rows(self.executor),
                },
                default=float,
            )
        )


def _largest(values: dict[str, float], n: int) -> list[tuple[str, float]]:
    return sorted(values.items(), key=lambda i: -i[1])[:n]


def _label(interaction: discord.Interaction[Any]) -> str:
    data: dict[str, Any] = dict(interaction.data or {})
    name = str(data.get("name", "?"))
    for option in data.get("options", []):
        if option.get("type") == 1:  # a subcommand
            name += " " + option["name"]
    if interaction.type is discord.InteractionType.autocomplete:
        name += " (ac)"
    return name
