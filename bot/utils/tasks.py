"""Stopping background tasks without waiting forever on one that ignores its cancellation.

A task can swallow a cancellation: asyncpg's executemany did (bot/storage/bulk.py), and the
bot's shutdown then waited on it forever. `cancel_and_wait` gives tasks a grace period, logs
the ones still running and returns, so the process still closes its connections and exits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

STOP_GRACE = 10.0  # seconds a cancelled task gets to end; hosts kill a stopping app at 30 s


async def cancel_and_wait(
    tasks: Iterable[asyncio.Task[Any]], *, grace: float | None = None
) -> None:
    """Cancel `tasks`; wait until they end, `grace` seconds at most (STOP_GRACE by default)."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    limit = STOP_GRACE if grace is None else grace
    done, stuck = await asyncio.wait(pending, timeout=limit)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.warning("task %s ended with %r while stopping", task.get_name(), task.exception())
    for task in stuck:
        log.error(
            "task %s still runs %g s after its cancellation; left behind", task.get_name(), limit
        )
