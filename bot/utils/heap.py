"""Giving freed heap back to the system: glibc keeps what a process frees in its arenas.

The pipeline trims after each scoring batch (tens of MB of activations). The Discord process
trims on a timer: the answers it recomputes after each publication replace the cached ones,
and the freed space, scattered between live blocks, stays resident otherwise. Under 50
interactions/s with passes publishing every few seconds, its anonymous memory grew 133 -> 188
MB in 90 s untrimmed, 128 -> 150 MB trimmed every 2 s (bench.interactions --memory-every;
docs/bench-interactions.md). One trim takes 0.2-8 ms, median ~1 ms, with the GIL released;
a thread that mallocs meanwhile may wait that long for the arena being trimmed.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
from typing import Any

TRIM_INTERVAL = 10.0  # seconds between trims in a long-running process


def _malloc_trim() -> Any:
    if sys.platform != "linux":
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    trim.argtypes = [ctypes.c_size_t]
    return trim


_TRIM = _malloc_trim()


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
