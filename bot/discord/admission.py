"""A first-come first-served gate: at most `per_step` interactions start per loop iteration.

discord.py's shard worker reads every buffered gateway message in one loop step (aiohttp's
websocket `receive()` does not yield while messages are buffered) and creates one task per
interaction; the next iteration then runs all of those tasks' synchronous parts back to back
(200 at once: 150+ ms in which no reply is read or sent). Through the gate, each iteration
starts only the next `per_step` in arrival order and then lets the loop poll its sockets, so
the stall is bounded by `per_step` interactions and the first to arrive are answered first.
Throughput does not drop: the loop stays busy, only in shorter steps.
"""

from __future__ import annotations

import asyncio
from collections import deque


class AdmissionGate:
    def __init__(self, per_step: int = 8) -> None:
        if per_step < 1:
            raise ValueError("per_step must be at least 1")
        self.per_step = per_step
        self._admitted = 0  # started in the current loop iteration
        self._woken = 0  # let through for the next iteration
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._step_scheduled = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def enter(self) -> None:
        """Return at once while this iteration has room and nobody is ahead; else queue."""
        if not self._waiting and not self._woken and self._admitted < self.per_step:
            self._admitted += 1
            self._schedule_step()
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._schedule_step()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter in self._waiting:  # cancelled while queued: leave without a slot
                self._waiting.remove(waiter)
            raise

    def _schedule_step(self) -> None:
        if not self._step_scheduled:
            self._step_scheduled = True
            # call_soon from this iteration runs in the next one.
            asyncio.get_running_loop().call_soon(self._step)

    def _step(self) -> None:
        """A new iteration: the tasks woken in the last one run in it (after this callback,
        scheduled before their wake-ups); wake the next `per_step` waiting for the next one."""
        self._step_scheduled = False
        self._admitted, self._woken = self._woken, 0
        if self._waiting or self._admitted:
            self._schedule_step()  # before the wake-ups below: first in the next iteration
        while self._waiting and self._woken < self.per_step:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._woken += 1
