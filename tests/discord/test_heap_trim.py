"""The Discord process trims its heap on a timer while it answers (bot/utils/heap.py)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.utils import heap
from tests.discord.conftest import EN_GUILD, Running
from tests.discord.test_commands import ask

TRIMS: list[int] = []  # the thread of each trim


@pytest.fixture
def bot_overrides(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """`running` asks for this fixture before it starts the bot: the place to make the job
    trim every 10 ms, and record the calls, before setup_hook starts it."""
    TRIMS.clear()
    monkeypatch.setattr(heap, "TRIM_INTERVAL", 0.01)
    monkeypatch.setattr(heap, "trim_heap", lambda: TRIMS.append(threading.get_ident()) or True)
    return {}


@pytest.mark.skipif(heap._TRIM is None, reason="malloc_trim is glibc's")
async def test_the_bot_trims_its_heap_off_the_loop_while_it_answers(running: Running) -> None:
    before = len(TRIMS)
    reply = await ask(running, EN_GUILD, "news")
    assert reply.embeds
    for _ in range(500):  # still trimming after commands ran (every 10 ms: at most 5 s)
        if len(TRIMS) > before + 2:
            break
        await asyncio.sleep(0.01)
    assert len(TRIMS) > before + 2
    assert threading.get_ident() not in TRIMS
