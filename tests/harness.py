"""What tests and benchmarks share: the real bot against the fake Discord, feed documents and
feed lists, a web app on loopback.

Plain functions, no fixtures: the fixtures built on these stay in the conftest files (e.g.
`running` in tests/discord/conftest.py), and bench/ imports this module directly.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web
from pydantic import SecretStr

from bot.config import Settings
from bot.discord.client import CryptoBot, configure_endpoints
from bot.discord.launcher import create_bot
from bot.runtime.services import Services
from tests.fakediscord import FakeDiscord, User

OWNER = User(1001, "owner")
ADMIN = User(1002, "mod")
ALICE = User(1003, "alice")


# -- feeds -------------------------------------------------------------------------------------


def rss(title: str, items: list[tuple[str, str, str]], language: str) -> bytes:
    """A WordPress-shaped RSS document with items published in the last hours."""
    now = datetime.now(UTC)
    parts = []
    for n, (headline, link, body) in enumerate(items):
        when = format_datetime(now - timedelta(hours=n + 1))
        parts.append(
            f"<item><title>{escape(headline)}</title><link>{escape(link)}</link>"
            f"<guid isPermaLink='false'>{escape(link)}</guid><pubDate>{when}</pubDate>"
            f"<description><![CDATA[<p>{body}</p>]]></description></item>"
        )
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
        f"<title>{escape(title)}</title><link>https://example.org/</link>"
        f"<language>{language}</language>{''.join(parts)}</channel></rss>"
    ).encode()


def write_feeds_file(path: Path, feeds: Iterable[tuple[str, str, str]]) -> Path:
    """A FEEDS_FILE listing (name, url, language) feeds; returns `path`."""
    path.write_text(
        "\n".join(
            f"[[feeds]]\nname = '{name}'\nurl = '{url}'\nlanguage = '{language}'\n"
            for name, url, language in feeds
        )
    )
    return path


@asynccontextmanager
async def serve_app(
    app: web.Application,
    host: str = "127.0.0.1",
    *,
    ssl_context: ssl.SSLContext | None = None,
    **runner_options: Any,
) -> AsyncIterator[str]:
    """Serve `app` on `host`, a free port; yields the base URL (https with an ssl_context)."""
    runner = web.AppRunner(app, **runner_options)
    await runner.setup()
    site = web.TCPSite(runner, host, 0, ssl_context=ssl_context)
    await site.start()
    scheme = "https" if ssl_context else "http"
    try:
        yield f"{scheme}://{host}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


# -- the bot against the fake Discord -----------------------------------------------------------


def fake_discord_settings(fake: FakeDiscord) -> dict[str, Any]:
    """Settings that point the bot at `fake`; the pipeline is left to the caller to run."""
    return {
        "discord_api_base": fake.api_base,
        "discord_gateway_url": fake.gateway_url,
        "discord_token": SecretStr(fake.token),
        "pipeline_enabled": False,
    }


async def start_bot(
    settings: Settings,
    services: Services,
    *,
    guild_ready_timeout: float = 0.02,
    ready_within: float = 15,
) -> tuple[CryptoBot, asyncio.Task]:
    """The bot as `python -m bot run` builds it, logged in and ready (within `ready_within` s)."""
    configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    bot = create_bot(services, guild_ready_timeout=guild_ready_timeout)
    task = asyncio.create_task(bot.start(settings.require_token()))
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait(
        {task, ready}, timeout=ready_within, return_when=asyncio.FIRST_COMPLETED
    )
    if task in done:
        task.result()  # re-raise why start() ended
    assert ready in done, "bot did not become ready"
    return bot, task


async def stop_bot(bot: CryptoBot, task: asyncio.Task) -> None:
    await bot.close()
    await asyncio.wait_for(task, 10)
