"""What bench.hostile measures besides time and stalls: peak RSS since a reset, clustering
time, full garbage collections, and when the slow case's fast feeds became visible."""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import sqlalchemy as sa

import bot.news.pipeline as pipeline
from bot.news.tables import articles, feeds
from bot.runtime.services import Services
from bot.sentiment.store import score_pending

# -- memory ------------------------------------------------------------------------------------


def reset_peak_rss() -> None:
    """Reset this process's VmHWM to its current RSS (Linux: clear_refs, 5)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")


def hwm_mb() -> float:
    """This process's peak RSS since the last reset_peak_rss, in MB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def timed_clustering(seconds: list[float]) -> Iterator[None]:
    """Time every cluster_pending call the pass makes (publish rounds and the final one)."""
    original = pipeline.cluster_pending

    async def timed(db: Any) -> int:
        start = time.perf_counter()
        try:
            return await original(db)
        finally:
            seconds.append(time.perf_counter() - start)

    pipeline.cluster_pending = timed
    try:
        yield
    finally:
        pipeline.cluster_pending = original


# -- the slow case's publish callback ----------------------------------------------------------


class Watch:
    """What the bot's pass does on publish (score, let commands see it: bot/runtime/jobs.py),
    and when the fast feeds' articles became visible, clustered."""

    def __init__(self, services: Services, fast_urls: list[str]) -> None:
        self.services = services
        self.fast_urls = fast_urls
        self.start = 0.0
        self.seen: list[tuple[float, int]] = []  # (seconds into the pass, fast articles shown)

    async def publish(self) -> None:
        services = self.services
        backend = await services.sentiment()
        batch = services.settings.sentiment_batch_size
        await score_pending(services.db, backend, batch_size=batch)
        services.reads.invalidate()
        query = (
            sa.select(sa.func.count())
            .select_from(articles.join(feeds, articles.c.feed_id == feeds.c.id))
            .where(feeds.c.url.in_(self.fast_urls), articles.c.story_id.is_not(None))
        )
        async with services.db.connection() as conn:
            shown = int(await conn.scalar(query) or 0)
        self.seen.append((time.perf_counter() - self.start, shown))

    def visible_after(self, expected: int) -> float | None:
        return next((t for t, shown in self.seen if expected and shown >= expected), None)


# -- full garbage collections -------------------------------------------------------------------


class FullGcWatch:
    """Full (generation 2) collections while inside `with`: each walks every object the
    process tracks, holding the GIL, so one can stall the event loop by itself."""

    def __init__(self) -> None:
        self.runs: list[tuple[float, str]] = []  # (seconds, thread)
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.runs.append((time.perf_counter() - self._started, threading.current_thread().name))

    @property
    def longest(self) -> float:
        return max((seconds for seconds, _ in self.runs), default=0.0)

    def describe(self) -> str:
        if not self.runs:
            return "no full GC pass"
        seconds, thread = max(self.runs)
        return f"{len(self.runs)} full GC pass(es), longest {seconds * 1000:.0f} ms in {thread}"

    def __enter__(self) -> FullGcWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        gc.callbacks.remove(self._callback)
