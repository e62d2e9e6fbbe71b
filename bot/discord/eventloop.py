"""The Discord process's event loop: uvloop where it is installed, asyncio's own elsewhere;
and its allocator: two malloc arenas (bot.utils.heap).

Each interaction costs the loop about 2 ms of callbacks, socket reads and writes and task
steps; uvloop (libuv, in C) does that part several times faster than the selector loop, and
discord.py and aiohttp run on it unchanged. It has no Windows build: there, or with
EVENT_LOOP=asyncio in the environment (to rule it out when debugging), the standard loop runs.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from bot.utils.heap import limit_malloc_arenas

log = logging.getLogger(__name__)

T = TypeVar("T")
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def loop_factory(choice: str | None = None) -> tuple[str, LoopFactory | None]:
    """The loop to run on ("uvloop" or "asyncio") and its factory (None: asyncio's default).

    `choice`: "auto" (uvloop if importable), "uvloop" or "asyncio"; default EVENT_LOOP or auto.
    """
    choice = (choice or os.environ.get("EVENT_LOOP") or "auto").strip().lower()
    if choice not in ("auto", "uvloop", "asyncio"):
        raise ValueError(f"EVENT_LOOP must be auto, uvloop or asyncio, not {choice!r}")
    if choice == "asyncio":
        return "asyncio", None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        if choice == "uvloop":
            raise
        return "asyncio", None
    factory: LoopFactory = uvloop.new_event_loop
    return "uvloop", factory


def run(main: Coroutine[Any, Any, T], choice: str | None = None) -> T:
    """`asyncio.run(main)` on the loop `loop_factory` picks, with `limit_malloc_arenas`."""
    limit_malloc_arenas()
    name, factory = loop_factory(choice)
    log.info("event loop: %s", name)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
