"""A short-lived cache for the reads slash commands make, shared by concurrent callers.

Two hundred people asking /news in the same second should cost one query, not two hundred:
the first caller starts the computation and everyone with the same key awaits that one task.
Entries live `ttl` seconds (other processes may change data without telling us).

Two ways to forget, for two kinds of change:
- `clear()`: the answers are wrong now (a server changed its feed set; this process just
  stored a pass): every later question waits for a new computation.
- `mark_stale()`: new data was published (the data version moved, bot/runtime/dataversion).
  The answers are merely old: for `stale_for` seconds each question still gets the previous
  answer at once, while ONE background computation per question builds the new one, which
  replaces it when ready. Without this, every distinct question missed at once after each
  publication, and under load the recomputations queued behind each other (and the askers
  behind them) for up to a second (docs/bench-interactions.md, "The tail after a publication").
  The bound: an answer given more than `stale_for` seconds after `mark_stale()` comes from a
  computation started after it; a later asker joins the running computation instead. If a
  recomputation fails, the previous answer keeps being served (until its `ttl`), the failure
  is logged, and the next question at least `retry_after` seconds later tries again. The
  recomputations run unthrottled: two at a time made them queue past the bound (measured).
An answer whose key names everything it depends on (a chart of one report) is cached with
`stable=True`: new data leaves it valid.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

STALE_SECONDS = 1.0  # how long after new data a previous answer may still be given
RETRY_SECONDS = 1.0  # between attempts to recompute an answer whose recomputation failed


@dataclass
class _Entry:
    made: float  # when its computation started: the ttl counts from here
    generation: int  # the data generation it was computed in (see mark_stale)
    task: asyncio.Future[Any]
    stable: bool = False  # its key names everything it depends on: new data leaves it valid
    refresh: asyncio.Future[Any] | None = None  # a newer generation's answer, while computed
    refresh_generation: int = 0  # the generation `refresh` computes
    failed_at: float | None = None  # when its last recomputation failed

    def answer(self) -> tuple[bool, Any]:
        """(True, value) when its computation is done and succeeded."""
        task = self.task
        if task.done() and not task.cancelled() and task.exception() is None:
            return True, task.result()
        return False, None


class ReadCache:
    def __init__(
        self,
        ttl: float = 60.0,
        max_entries: int = 1024,
        *,
        stale_for: float = STALE_SECONDS,
        retry_after: float = RETRY_SECONDS,
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._stale_for = stale_for
        self._retry_after = retry_after
        self._entries: dict[Hashable, _Entry] = {}
        self._generation = 0
        # When each recent generation began (mark_stale); an older one is too old to serve.
        self._began: dict[int, float] = {}
        self._refreshing: set[asyncio.Future[Any]] = set()  # the loop keeps weak references

    async def get(
        self, key: Hashable, compute: Callable[[], Awaitable[T]], *, stable: bool = False
    ) -> T:
        """The cached answer for `key`, computing it with `compute` when there is none.

        `stable`: the key itself names what the answer depends on (a chart of one report):
        new data does not make it stale; only its ttl and `clear()` end it."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is None or now - entry.made >= self._ttl:
            entry = self._start(key, compute, now, stable)
        elif not entry.stable and entry.generation != self._generation:
            return await self._stale(key, entry, compute, now)
        return await self._wait(key, entry)

    async def _wait(self, key: Hashable, entry: _Entry) -> Any:
        try:
            # Shielded: a caller that gives up must not cancel the task for the others.
            return await asyncio.shield(entry.task)
        except Exception:
            if self._entries.get(key) is entry:  # never keep a failure
                del self._entries[key]
            raise

    def _start(
        self, key: Hashable, compute: Callable[[], Awaitable[Any]], now: float, stable: bool
    ) -> _Entry:
        if len(self._entries) >= self._max:
            self._evict(now)
        # A task, not a bare coroutine: it runs whoever gives up waiting.
        entry = _Entry(now, self._generation, asyncio.ensure_future(compute()), stable)
        self._entries[key] = entry
        return entry

    async def _stale(
        self, key: Hashable, entry: _Entry, compute: Callable[[], Awaitable[Any]], now: float
    ) -> Any:
        """An answer from before the latest new data: the previous one while it may still be
        given (one recomputation runs meanwhile); else wait for a recomputation started
        after the new data."""
        done, previous = entry.answer()
        servable = done and (entry.failed_at is not None or self._servable(entry, now))
        if entry.refresh is None:
            if entry.failed_at is None or now - entry.failed_at >= self._retry_after:
                self._refresh(key, entry, compute, now)
            elif not done:  # failed a moment ago, and there is no previous answer
                return await self._wait(key, entry)
        elif not servable and entry.refresh_generation != self._generation:
            self._refresh(key, entry, compute, now)  # the running one predates the new data
        if servable:
            return previous
        assert entry.refresh is not None
        try:
            return await asyncio.shield(entry.refresh)
        except Exception:
            if done:  # logged where it failed; the previous answer beats an error
                return previous
            raise

    def _servable(self, entry: _Entry, now: float) -> bool:
        superseded = self._began.get(entry.generation + 1)
        return superseded is not None and now - superseded < self._stale_for

    def _refresh(
        self, key: Hashable, entry: _Entry, compute: Callable[[], Awaitable[Any]], now: float
    ) -> None:
        """Compute the current generation's answer in the background; it replaces the entry
        of `key` when it lands, unless that entry is as new (or the cache was cleared)."""
        generation = self._generation
        task = asyncio.ensure_future(compute())
        entry.refresh, entry.refresh_generation = task, generation
        self._refreshing.add(task)

        def landed(task: asyncio.Future[Any]) -> None:
            self._refreshing.discard(task)
            current = self._entries.get(key)
            if current is not None and current.refresh is task:
                current.refresh = None
            if task.cancelled():
                return
            error = task.exception()
            if error is not None:
                if current is not None and current.generation < generation:
                    current.failed_at = time.monotonic()
                log.warning(
                    "could not recompute the cached %s; still giving the previous answer",
                    _describe(key),
                    exc_info=error,
                )
            elif current is not None and current.generation < generation:
                self._entries[key] = _Entry(
                    now,
                    generation,
                    task,
                    current.stable,
                    refresh=current.refresh,  # an even newer one, still running
                    refresh_generation=current.refresh_generation,
                )

        task.add_done_callback(landed)

    def put(self, key: Hashable, value: Any) -> None:
        """Store a value this process just wrote (fresh for `ttl` from now)."""
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.set_result(value)
        self._entries[key] = _Entry(time.monotonic(), self._generation, done)

    def clear(self) -> None:
        """Forget every answer: later questions wait for new ones."""
        self._entries.clear()

    def mark_stale(self) -> None:
        """New data was published: recompute answers as they are asked for, giving the
        previous answer meanwhile for at most `stale_for` seconds (see the module's doc)."""
        now = time.monotonic()
        self._generation += 1
        self._began = {g: t for g, t in self._began.items() if now - t < self._stale_for}
        self._began[self._generation] = now

    def discard(self, *keys: Hashable) -> None:
        """Forget these entries (what one write in this process made stale); callers already
        awaiting one keep its answer, the next caller computes it again."""
        for key in keys:
            self._entries.pop(key, None)

    def _evict(self, now: float) -> None:
        fresh = {k: v for k, v in self._entries.items() if now - v.made < self._ttl}
        if len(fresh) >= self._max:  # all fresh: drop the oldest half
            keep = sorted(fresh.items(), key=lambda kv: kv[1].made)[len(fresh) // 2 :]
            fresh = dict(keep)
        self._entries = fresh


def _describe(key: Hashable) -> str:
    """The kind of answer a key stands for (its first part), for the log."""
    return repr(key[0] if isinstance(key, tuple) and key else key)
