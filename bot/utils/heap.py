"""glibc's allocator, for long-running processes: fewer arenas, and freed heap given back to
the system (glibc keeps what a process frees in its arenas).

Arenas: glibc gives every thread that allocates (aiosqlite's, the worker pool's) an arena of
its own, up to 8 per core, and each keeps its freed pages. Two arenas hold the Discord process
about 7 MB smaller after a burst (bench.interactions) at no measurable CPU cost, as
MALLOC_ARENA_MAX=2 would; an explicit MALLOC_ARENA_MAX wins. The pipeline child gets the same
through its environment (bot/runtime/supervisor.py).

Trimming: the pipeline trims after each scoring batch (tens of MB of activations); the
Discord process trims on a timer: the answers it recomputes after each publication replace
the cached ones, and the freed space, scattered between live blocks, stays resident
otherwise. Under 50 interactions/s with passes publishing every few seconds, its anonymous
memory grew 133 -> 188 MB in 90 s untrimmed, 128 -> 150 MB trimmed every 2 s
(bench.interactions --memory-every; docs/bench-interactions.md). One trim takes 0.2-8 ms,
median ~1 ms, with the GIL released; a thread that mallocs meanwhile may wait that long for
the arena being trimmed.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import sys
from typing import Any

TRIM_INTERVAL = 10.0  # seconds between trims in a long-running process
MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # glibc's mallopt parameter


def _glibc(name: str) -> Any:
    """glibc's function `name`, or None (not Linux, or a libc without it: musl has no
    malloc_trim)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


_TRIM = _glibc("malloc_trim")
if _TRIM is not None:
    _TRIM.argtypes = [ctypes.c_size_t]


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas (for threads that start allocating from now on); False where
    there is no glibc (macOS, Windows, musl) or MALLOC_ARENA_MAX is set."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    mallopt = _glibc("mallopt")
    return mallopt is not None and bool(mallopt(M_ARENA_MAX, arenas))


def trim_heap() -> bool:
    """Return the free pages of every malloc arena to the system; False where there is no
    glibc. ctypes releases the GIL for the call."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


async def trim_heap_every(interval: float | None = None) -> None:
    """A job: trim every `interval` (TRIM_INTERVAL) seconds in a worker thread, so the event
    loop never waits for it; returns at once where there is nothing to trim with."""
    if _TRIM is None:
        return
    while True:
        await asyncio.sleep(TRIM_INTERVAL if interval is None else interval)
        await asyncio.to_thread(trim_heap)
