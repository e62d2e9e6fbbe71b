"""The bot stops even when a task of its own ignores the cancellation: on CI a stop waited
forever on the digest cog's task, stuck in asyncpg (bot/storage/bulk.py). Now each task gets
a grace period (bot/utils/tasks.py), is logged if it outlives it, and the bot closes."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from bot.discord.client import CryptoBot, configure_endpoints
from bot.runtime.services import open_services
from bot.utils import tasks
from tests.discord.conftest import FeedServer, bot_settings, world
from tests.fakediscord import FakeDiscord
from tests.utils.test_tasks import ignore_cancellation


async def test_a_task_ignoring_its_cancellation_does_not_hold_the_stop(
    tmp_path: Path,
    feed_server: FeedServer,
    restore_endpoints: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()
    started: dict[str, asyncio.Event] = {"job": asyncio.Event(), "cog": asyncio.Event()}

    async def stubborn_delivery(*args: Any, **kwargs: Any) -> None:
        await ignore_cancellation(started["cog"], release)

    # The digest cog imports its loop when the bot loads it.
    monkeypatch.setattr("bot.delivery.runner.delivery_loop", stubborn_delivery)
    monkeypatch.setattr(tasks, "STOP_GRACE", 0.3)
    async with FakeDiscord(world()) as fake:
        settings = bot_settings(tmp_path, fake, feed_server)
        async with open_services(settings) as services:
            configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
            bot = CryptoBot(
                services,
                jobs={"stubborn-job": lambda: ignore_cancellation(started["job"], release)},
                guild_ready_timeout=0.02,
            )
            running = asyncio.create_task(bot.start(settings.require_token()))
            try:
                await asyncio.wait_for(bot.wait_until_ready(), 15)
                await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started.values())), 5)
                with caplog.at_level(logging.ERROR, logger="bot.utils.tasks"):
                    await asyncio.wait_for(bot.close(), 10)  # it never returned
                await asyncio.wait_for(running, 10)
            finally:
                release.set()
                if not running.done():
                    await bot.close()
    left = sorted(r.getMessage().split()[1] for r in caplog.records if r.name == tasks.__name__)
    assert left == ["digest-delivery", "stubborn-job"]
