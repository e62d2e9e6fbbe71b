"""bot/utils/heap.py: freed heap goes back to the system, from a worker thread; glibc's
arenas are capped unless the operator set MALLOC_ARENA_MAX."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import threading

import pytest

from bot.utils import heap
from tests.conftest import REPO

# 256 MB in 64 KB blocks, every eighth kept: the freed space lies between live blocks, where
# glibc's own trimming (the top of the heap only) never reaches it.
FRAGMENTED = r"""
import json
from bot.utils.heap import trim_heap

def anon_mb():
    with open("/proc/self/status") as fh:
        line = next(l for l in fh if l.startswith("RssAnon:"))
    return int(line.split()[1]) / 1024

blocks = [bytearray(64 * 1024) for _ in range(4096)]
kept = blocks[::8]
del blocks
before = anon_mb()
trimmed = trim_heap()
print(json.dumps({"trimmed": trimmed, "before": before, "after": anon_mb(), "kept": len(kept)}))
"""


@pytest.mark.skipif(heap._TRIM is None, reason="malloc_trim is glibc's")
def test_trim_returns_the_freed_space_between_live_blocks() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", FRAGMENTED], env=env, capture_output=True, text=True, check=True
    )
    found = json.loads(out.stdout)
    assert found["trimmed"] is True
    assert found["before"] > 200  # the freed 224 MB were still resident
    assert found["before"] - found["after"] > 150, found


async def test_the_job_trims_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    loop, thrice = asyncio.get_running_loop(), asyncio.Event()
    threads: list[int] = []

    def trim() -> bool:
        threads.append(threading.get_ident())
        if len(threads) == 3:
            loop.call_soon_threadsafe(thrice.set)
        return True

    monkeypatch.setattr(heap, "trim_heap", trim)
    job = asyncio.create_task(heap.trim_heap_every(0.01))
    try:
        await asyncio.wait_for(thrice.wait(), 5)
    finally:
        job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job
    assert threading.get_ident() not in threads  # a worker thread, never the loop's


async def test_the_job_ends_where_there_is_nothing_to_trim_with(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heap, "_TRIM", None)  # musl, macOS, Windows
    await asyncio.wait_for(heap.trim_heap_every(60), 1)


def test_an_explicit_malloc_arena_max_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert heap.limit_malloc_arenas() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_malloc_arenas_are_capped_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    assert heap.limit_malloc_arenas() is True
