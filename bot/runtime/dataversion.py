"""One number that changes whenever the pipeline publishes new data, shared through the database.

The pipeline may run in another process (the supervised child of `run`, or `python -m bot
pipeline` elsewhere): it bumps the number after storing and scoring (`bump_data_version`),
and every process that serves reads watches it (`DataVersionWatcher`) to drop its cached
answers at once instead of when a TTL runs out. The row lives in `app_state` (bot/storage/kv):
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
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.storage import Database, kv

log = logging.getLogger(__name__)

DATA_VERSION_KEY = "data:version"
POLL_SECONDS = 0.5  # how soon a reading process sees a publication from another process

Listener = Callable[[int], Awaitable[None] | None]


async def data_version(db: Database) -> int:
    """The current data version: 0 until the pipeline first publishes."""
    raw = await kv.get_value(db, DATA_VERSION_KEY)
    try:
        return int(raw) if raw is not None else 0
    except ValueError:  # never written by us; the next bump starts over
        return 0


async def bump_data_version(db: Database) -> int:
    """Add one, atomically (two pipelines may publish at once), and return the new version."""
    table = kv.app_state
    now = datetime.now(UTC)
    increment = (
        sa.update(table)
        .where(table.c.key == DATA_VERSION_KEY)
        .values(value=sa.cast(sa.cast(table.c.value, sa.Integer) + 1, sa.Text), updated_at=now)
    )
    async with db.begin() as conn:
        if (await conn.execute(increment)).rowcount == 0:
            first = db.insert_ignore(table, "key").values(
                key=DATA_VERSION_KEY, value="0", updated_at=now
            )
            await conn.execute(first)
            await conn.execute(increment)
        value = await conn.scalar(sa.select(table.c.value).where(table.c.key == DATA_VERSION_KEY))
    return int(value)


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
