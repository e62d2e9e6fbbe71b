"""A short-lived cache for the reads slash commands make, shared by concurrent callers.

Two hundred people asking /news in the same second should cost one query, not two hundred:
the first caller starts the computation and everyone with the same key awaits that one task.
Entries live `ttl` seconds (other processes may change the data), and the pipeline clears the
cache after each pass in this process, so answers are never staler than one pass.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class ReadCache:
    def __init__(self, ttl: float = 60.0, max_entries: int = 1024) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[Hashable, tuple[float, asyncio.Future[Any]]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is None or now - hit[0] >= self._ttl:
            if len(self._entries) >= self._max:
                self._evict(now)
            # A task, not a bare coroutine: a caller that gives up must not cancel it for the
            # others awaiting the same key.
            hit = (now, asyncio.ensure_future(compute()))
            self._entries[key] = hit
        task: asyncio.Future[T] = hit[1]
        try:
            return await asyncio.shield(task)
        except Exception:
            if self._entries.get(key) is hit:  # never keep a failure
                del self._entries[key]
            raise

    def put(self, key: Hashable, value: Any) -> None:
        """Store a value this process just wrote (fresh for `ttl` from now)."""
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(value)
        self._entries[key] = (time.monotonic(), done)

    def clear(self) -> None:
        self._entries.clear()

    def _evict(self, now: float) -> None:
        fresh = {k: v for k, v in self._entries.items() if now - v[0] < self._ttl}
        if len(fresh) >= self._max:  # all fresh: drop the oldest half
            keep = sorted(fresh.items(), key=lambda kv: kv[1][0])[len(fresh) // 2 :]
            fresh = dict(keep)
        self._entries = fresh
