"""The fake Discord in a process of its own, driven over a pipe: the users' side of the bench.

In the bot's process its work (building interactions, the REST handlers, the gateway) would
share the bot's loop and GIL and count as the bot's. Here the child (on uvloop where
installed; BENCH_FAKE_LOOP=asyncio for the selector loop) owns the fake and the clock that
times each interaction: from just before its INTERACTION_CREATE frame is written to the
gateway socket (tests/fakediscord/inject.py `send`) to the start of the fake's handler for
its first callback POST, before the body is read or checked (interactions.py `elapsed_ms`).
A burst is built and encoded before the first frame is sent. The bench process runs only the
bot and measures its loop.

Requests, each answered with one message:
    ("warm",)                 two rounds of the mix, one at a time; the second round's ms by kind
    ("burst", n)              n interactions at once
    ("sustained", rate, s)    `rate` interactions/s for `s` seconds, evenly spaced
    ("close",)
A burst or sustained answer: {"firsts": [(label, ms or inf)], "missed": n, "seconds": wall,
"cpu_s": the fake process's CPU seconds during the load, "build_cpu_s": before it, building
the burst}; started with `profile=True` (--profile-fake), also
"profile": where that CPU went (cProfile of the child during the load: by module and by
function, own CPU time; the profiler roughly doubles the CPU it measures).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import cProfile
import io
import math
import multiprocessing
import os
import pstats
import statistics
import time
from multiprocessing.connection import Connection
from typing import Any

from bench.interactions.workload import MIX, Ask, prepare, settle, world
from bot.discord import eventloop
from tests.fakediscord import FakeDiscord, Guild, inject
from tests.fakediscord.records import InteractionHandle

FINAL_WITHIN = 30.0  # seconds after the deadline to wait for final replies (a chart)


def _firsts(sent: list[tuple[InteractionHandle, Ask]]) -> list[tuple[str, float]]:
    return [
        (a.label, h.response.elapsed_ms if h.response is not None else math.inf) for h, a in sent
    ]


async def _warm(fake: FakeDiscord, guilds: list[Guild]) -> dict[str, float]:
    quiet: dict[str, list[float]] = collections.defaultdict(list)
    for round_ in range(2):
        for i, ask in enumerate(MIX):
            handle = await inject.send(fake, prepare(fake, guilds[i % len(guilds)], ask))
            await settle(fake, [(handle, ask)], within=fake.deadline + FINAL_WITHIN)
            if round_ and handle.response is not None:
                quiet[ask.label].append(handle.response.elapsed_ms)
    return {k: statistics.median(v) for k, v in quiet.items()}


async def _load(fake: FakeDiscord, guilds: list[Guild], n: int, rate: float | None) -> dict:
    """A burst is built and encoded before the first is sent; at a rate, each is built just
    before it is sent. Either way each interaction's clock starts as its own frame is sent."""
    asks = [MIX[i % len(MIX)] for i in range(n)]
    targets = [guilds[i % len(guilds)] for i in range(n)]
    missed_before = len(fake.missed_deadlines)
    cpu = time.process_time()
    built = (
        [prepare(fake, g, a) for g, a in zip(targets, asks, strict=True)] if rate is None else []
    )
    build_cpu_s = time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    sent: list[tuple[InteractionHandle, Ask]] = []
    for i, (guild, ask) in enumerate(zip(targets, asks, strict=True)):
        if rate is not None:
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        one = built[i] if built else prepare(fake, guild, ask)
        sent.append((await inject.send(fake, one), ask))
    await settle(fake, sent, within=fake.deadline + FINAL_WITHIN)
    return {
        "firsts": _firsts(sent),
        "missed": len(fake.missed_deadlines) - missed_before,
        "seconds": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu,  # the fake's own CPU: it shares the 2 cores
        "build_cpu_s": build_cpu_s,  # a burst's building, before the load
    }


def _module(filename: str, function: str) -> str:
    """A profile entry's home: tests/fakediscord/x.py, a package's module, or the built-in."""
    if filename == "~":  # a C function: named by itself ("<method 'send' of ...>")
        return function
    parts = filename.split("/")
    for anchor in ("site-packages", "fakediscord", "interactions"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + 1 :][-2:])
    return "/".join(parts[-2:])


def profile_text(profiler: cProfile.Profile, top: int = 20) -> str:
    stats = pstats.Stats(profiler)
    by_module: collections.Counter[str] = collections.Counter()
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_cc, _nc, own, _cum, _callers) in raw.items():
        by_module[_module(filename, function)] += own
    total = sum(by_module.values()) or 1.0
    lines = [f"    the fake Discord process, profiled ({total:.2f} CPU-s in all), by module:"]
    for name, own in by_module.most_common(top):
        lines.append(f"      {100 * own / total:5.1f}%  {own:6.3f} s  {name}")
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(top)
    lines.append("    by function (own time):")
    lines += ["    " + line for line in out.getvalue().splitlines()[6:] if line.strip()]
    return "\n".join(lines)


async def _serve(conn: Connection, profile: bool) -> None:
    guilds = world()
    async with FakeDiscord(world(), deadline=3.0) as fake:
        conn.send({"api_base": fake.api_base, "gateway_url": fake.gateway_url, "token": fake.token})
        while True:
            request = await asyncio.to_thread(conn.recv)
            kind = request[0]
            if kind == "close":
                break
            reply: Any
            if kind == "warm":
                reply = await _warm(fake, guilds)
            elif kind in ("burst", "sustained"):
                profiler = cProfile.Profile(time.process_time) if profile else None
                if profiler is not None:
                    profiler.enable()
                if kind == "burst":
                    reply = await _load(fake, guilds, request[1], None)
                else:
                    rate, seconds = request[1], request[2]
                    reply = await _load(fake, guilds, round(rate * seconds), rate)
                if profiler is not None:
                    profiler.disable()
                    reply["profile"] = profile_text(profiler)
            else:
                raise ValueError(f"unknown request {request!r}")
            conn.send(reply)
    conn.send("closed")


def _main(conn: Connection, profile: bool) -> None:
    # uvloop where installed, like the bot (BENCH_FAKE_LOOP=asyncio: the selector loop)
    _, factory = eventloop.loop_factory(os.environ.get("BENCH_FAKE_LOOP", "auto"))
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(_serve(conn, profile))


class FakeDiscordProcess:
    """Start with `await start()`; then `endpoints` holds the API base, gateway URL and token.
    `profile`: each load's answer carries the child's profile ("profile")."""

    def __init__(self, *, profile: bool = False) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_main, args=(child, profile), daemon=True, name="fake-discord"
        )
        self.endpoints: dict[str, str] = {}

    async def start(self) -> None:
        self.process.start()
        self.endpoints = await self._recv(within=60)

    async def _recv(self, *, within: float) -> Any:
        ready = await asyncio.to_thread(self._conn.poll, within)
        if not ready:
            raise TimeoutError("the fake Discord process did not answer")
        return self._conn.recv()

    async def ask(self, *request: object, within: float = 600) -> Any:
        """Send a request; its answer (TimeoutError after `within` seconds)."""
        self._conn.send(request)
        return await self._recv(within=within)

    async def close(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(TimeoutError, OSError, EOFError):
                await self.ask("close", within=10)
            self.process.join(5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
