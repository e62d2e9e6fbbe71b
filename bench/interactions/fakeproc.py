"""The fake Discord in a process of its own, driven over a pipe: the users' side of the bench.

In the bot's process its work (building interactions, the REST handlers, the gateway) would
share the bot's loop and GIL and count as the bot's. Here the child owns the fake and the
clock that times each interaction (created -> first accepted response, the fake's
`elapsed_ms`); the bench process runs only the bot and measures its loop.

Requests, each answered with one message:
    ("warm",)                 two rounds of the mix, one at a time; the second round's ms by kind
    ("burst", n)              n interactions at once
    ("sustained", rate, s)    `rate` interactions/s for `s` seconds, evenly spaced
    ("close",)
A burst or sustained answer: {"firsts": [(label, ms or inf)], "missed": n, "seconds": wall,
"cpu_s": the fake process's CPU seconds}.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import multiprocessing
import statistics
import time
from multiprocessing.connection import Connection
from typing import Any

from bench.interactions.workload import MIX, Ask, finish, fire, world
from tests.fakediscord import FakeDiscord, Guild
from tests.fakediscord.records import InteractionHandle


async def _one(fake: FakeDiscord, guild: Guild, ask: Ask) -> InteractionHandle:
    handle = await fire(fake, guild, ask)
    # DeadlineMissed, or a final reply that never came: counted from the handle
    with contextlib.suppress(Exception):
        await finish(handle, ask)
    return handle


def _firsts(handles: list[InteractionHandle], asks: list[Ask]) -> list[tuple[str, float]]:
    return [
        (a.label, h.response.elapsed_ms if h.response is not None else math.inf)
        for h, a in zip(handles, asks, strict=True)
    ]


async def _warm(fake: FakeDiscord, guilds: list[Guild]) -> dict[str, float]:
    quiet: dict[str, list[float]] = collections.defaultdict(list)
    for round_ in range(2):
        for i, ask in enumerate(MIX):
            handle = await _one(fake, guilds[i % len(guilds)], ask)
            if round_ and handle.response is not None:
                quiet[ask.label].append(handle.response.elapsed_ms)
    return {k: statistics.median(v) for k, v in quiet.items()}


async def _load(fake: FakeDiscord, guilds: list[Guild], n: int, rate: float | None) -> dict:
    asks = [MIX[i % len(MIX)] for i in range(n)]
    targets = [guilds[i % len(guilds)] for i in range(n)]
    missed_before = len(fake.missed_deadlines)
    start, cpu = time.perf_counter(), time.process_time()
    tasks = []
    for i, (guild, ask) in enumerate(zip(targets, asks, strict=True)):
        if rate is not None:
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(fake, guild, ask)))
    handles = await asyncio.gather(*tasks)
    return {
        "firsts": _firsts(handles, asks),
        "missed": len(fake.missed_deadlines) - missed_before,
        "seconds": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu,  # the fake's own CPU: it shares the 2 cores
    }


async def _serve(conn: Connection) -> None:
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
            elif kind == "burst":
                reply = await _load(fake, guilds, request[1], None)
            elif kind == "sustained":
                rate, seconds = request[1], request[2]
                reply = await _load(fake, guilds, round(rate * seconds), rate)
            else:
                raise ValueError(f"unknown request {request!r}")
            conn.send(reply)
    conn.send("closed")


def _main(conn: Connection) -> None:
    asyncio.run(_serve(conn))


class FakeDiscordProcess:
    """Start with `await start()`; then `endpoints` holds the API base, gateway URL and token."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_main, args=(child,), daemon=True, name="fake-discord")
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
