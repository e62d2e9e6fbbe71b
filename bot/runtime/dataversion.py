"""Watching the data version (bot/storage/dataversion.py) from a process that serves reads.

The pipeline may run in another process (the supervised child of `run`, or `python -m bot
pipeline` elsewhere): it bumps the number after storing, scoring and translating, and every
process that serves reads watches it (`DataVersionWatcher`) to refresh its cached
answers at once (in the background: bot/utils/cache.py `mark_stale`) instead of when a TTL
runs out. The row lives in `app_state` (bot/storage/kv):
one primary-key read per poll, on SQLite and PostgreSQL alike.

    version = await data_version(db)             # 0 before the first publication
    services.data_watch.subscribe(on_new_data)   # called with the new version
    async with asyncio.timeout(30):
        version = await services.data_watch.changed(after=version)
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable

from bot.storage import Database
from bot.storage.dataversion import data_version

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5  # how soon a reading process sees a publication from another process

Listener = Callable[[int], Awaitable[None] | None]


class DataVersionWatcher:
    """Polls the data version and tells listeners when it changes (a job: `run()`).

    Listeners run in the loop, in subscription order; one that fails is logged and the others
    still run. `changed()` lets a round (e.g. live news posting) wait for new data.
    """

    def __init__(self, db: Database, *, interval: float = POLL_SECONDS) -> None:
        self._db = db
        self.interval = interval
        self.version: int | None = None  # None until the first poll
        self._listeners: list[Listener] = []
        self._event = asyncio.Event()

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def poll(self) -> int:
        """Read the version once; on a change (not the first read) notify the listeners."""
        current = await data_version(self._db)
        previous, self.version = self.version, current
        if current != previous:
            event, self._event = self._event, asyncio.Event()
            event.set()  # wakes `changed()` waiters, the first read included
            if previous is not None:
                log.debug("data version %d -> %d", previous, current)
                await self._notify(current)
        return current

    async def _notify(self, version: int) -> None:
        for listener in self._listeners:
            try:
                result = listener(version)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("data version listener failed")

    async def changed(self, *, after: int) -> int:
        """The first version other than `after` this watcher sees (wrap in asyncio.timeout)."""
        while self.version is None or self.version == after:
            await self._event.wait()
        return self.version

    async def run(self) -> None:
        while True:
            try:
                await self.poll()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup: the next poll tries again
                log.warning("could not read the data version", exc_info=True)
            await asyncio.sleep(self.interval)
