"""The Discord process trims its heap on a timer while it answers (bot/utils/heap.py)."""

from __future__ import annotations

import threading

import pytest

from bot.utils import heap
from tests.discord.conftest import EN_GUILD, Running
from tests.discord.test_commands import ask

TRIMS: list[int] = []  # the thread of each trim


@pytest.fixture
def bot_overrides(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Before the bot starts: trim every 10 ms, and record the calls."""
    TRIMS.clear()
    monkeypatch.setattr(heap, "TRIM_INTERVAL", 0.01)
    monkeypatch.setattr(heap, "trim_heap", lambda: TRIMS.append(threading.get_ident()) or True)
    return {}


async def test_the_bot_trims_its_heap_off_the_loop_while_it_answers(running: Running) -> None:
    before = len(TRIMS)
    reply = await ask(running, EN_GUILD, "news")
    assert reply.embeds
    await ask(running, EN_GUILD, "about")
    assert len(TRIMS) > before  # still trimming while commands run
    assert threading.get_ident() not in TRIMS
