"""The Discord process's event loop: uvloop where it is installed, asyncio's own elsewhere;
and its allocator: two malloc arenas.

Each interaction costs the loop about 2 ms of callbacks, socket reads and writes and task
steps; uvloop (libuv, in C) does that part several times faster than the selector loop, and
discord.py and aiohttp run on it unchanged. It has no Windows build: there, or with
EVENT_LOOP=asyncio in the environment (to rule it out when debugging), the standard loop runs.

glibc gives every thread that allocates (aiosqlite's, the worker pool's) an arena of its own,
up to 8 per core, and each keeps its freed pages: two arenas hold this process about 7 MB
smaller after a burst (bench.interactions) at no measurable CPU cost, as MALLOC_ARENA_MAX=2
would; an explicit MALLOC_ARENA_MAX wins.
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
LoopFactory = Callable[[], asyncio.AbstractEventLoop]

M_ARENA_MAX = -8  # glibc's mallopt parameter
MALLOC_ARENAS = 2


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


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (for threads that start allocating from now on); False where
    there is no glibc (macOS, Windows, musl) or MALLOC_ARENA_MAX is set."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))


def run(main: Coroutine[Any, Any, T], choice: str | None = None) -> T:
    """`asyncio.run(main)` on the loop `loop_factory` picks, with `limit_malloc_arenas`."""
    limit_malloc_arenas()
    name, factory = loop_factory(choice)
    log.info("event loop: %s", name)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
