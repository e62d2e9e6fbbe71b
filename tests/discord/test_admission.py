"""The admission gate: arrival order, at most `per_step` starts per loop iteration, no loss."""

from __future__ import annotations

import asyncio

import pytest

from bot.discord.admission import AdmissionGate


class IterationCounter:
    """Counts event-loop iterations: a callback rescheduled with call_soon runs once each."""

    def __init__(self) -> None:
        self.n = 0
        self._running = True
        asyncio.get_running_loop().call_soon(self._tick)

    def _tick(self) -> None:
        self.n += 1
        if self._running:
            asyncio.get_running_loop().call_soon(self._tick)

    def stop(self) -> None:
        self._running = False


async def test_a_burst_starts_in_arrival_order_per_step_at_a_time() -> None:
    gate = AdmissionGate(per_step=4)
    iterations = IterationCounter()
    started: list[tuple[int, int]] = []  # (arrival, iteration)

    async def interaction(arrival: int) -> None:
        await gate.enter()
        started.append((arrival, iterations.n))

    # All created in one step, as discord.py's shard worker does with a buffered burst.
    await asyncio.gather(*(interaction(i) for i in range(30)))
    iterations.stop()

    assert [arrival for arrival, _ in started] == list(range(30))
    per_iteration: dict[int, int] = {}
    for _, iteration in started:
        per_iteration[iteration] = per_iteration.get(iteration, 0) + 1
    assert max(per_iteration.values()) == 4
    assert len(per_iteration) == 8  # 30 / 4, rounded up: no iteration left without a start
    assert gate.waiting == 0


async def test_one_interaction_alone_is_not_delayed() -> None:
    gate = AdmissionGate(per_step=2)
    loop = asyncio.get_running_loop()
    entered = loop.create_task(gate.enter())
    await asyncio.sleep(0)  # one step: the task's first step runs and enters at once
    assert entered.done()


async def test_a_later_arrival_waits_behind_the_queue() -> None:
    gate = AdmissionGate(per_step=1)
    order: list[str] = []

    async def interaction(name: str) -> None:
        await gate.enter()
        order.append(name)

    first = [asyncio.create_task(interaction(f"early{i}")) for i in range(3)]
    await asyncio.sleep(0)  # early0 is in, early1-2 queue
    late = asyncio.create_task(interaction("late"))  # room appears, but others were first
    await asyncio.gather(*first, late)
    assert order == ["early0", "early1", "early2", "late"]


async def test_a_cancelled_waiter_leaves_the_queue_and_the_rest_go_on() -> None:
    gate = AdmissionGate(per_step=1)
    order: list[int] = []

    async def interaction(n: int) -> None:
        await gate.enter()
        order.append(n)

    tasks = [asyncio.create_task(interaction(n)) for n in range(4)]
    await asyncio.sleep(0)
    tasks[2].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[2], asyncio.CancelledError)
    assert order == [0, 1, 3]
    assert gate.waiting == 0


def test_per_step_must_be_positive() -> None:
    with pytest.raises(ValueError):
        AdmissionGate(per_step=0)
