"""Starting the Discord bot: the composition root for `python -m bot run`.

Builds the services once (settings, database, HTTP clients), injects them into the client,
runs it, and closes everything in reverse order on the way out. The pipeline (feeds, scoring,
market) runs in a supervised child process (bot/runtime/supervisor.py), never in this one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import aiohttp

from bot.config import Settings
from bot.discord.client import CryptoBot, Job, configure_endpoints
from bot.runtime.services import Services, open_services
from bot.runtime.supervisor import ChildSupervisor
from bot.shards import process_shards

log = logging.getLogger(__name__)

HTTP_CONNECTIONS = 16  # to Discord's REST API, per process (at least)


def create_bot(services: Services, **options: Any) -> CryptoBot:
    """The bot, connecting the shards SHARD_COUNT/SHARD_IDS name (unset: as many as Discord
    recommends), with its jobs: the data-version watch that drops cached reads when a pipeline
    anywhere publishes, and the pipeline's child process (not when PIPELINE_ENABLED is false:
    then a `python -m bot pipeline` runs elsewhere)."""
    jobs: dict[str, Job] = {"data-version": services.data_watch.run}
    if services.settings.pipeline_enabled:
        jobs["pipeline-process"] = ChildSupervisor(services.db).run
    options = client_options(services.settings) | options
    # discord.py's default opens a connection per concurrent request (limit=0): a burst of
    # replies paid a TCP (with Discord: TLS) handshake each; a bounded pool reuses them.
    # Room for every delivery in flight (DIGEST_CONCURRENCY) and replies beside them.
    limit = max(HTTP_CONNECTIONS, 2 * services.settings.digest_concurrency)
    options.setdefault("connector", aiohttp.TCPConnector(limit=limit))
    return CryptoBot(services, jobs=jobs, **options)


async def run_bot(settings: Settings, token: str) -> None:
    configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    async with open_services(settings) as services:
        bot = create_bot(services)
        # SIGTERM (a platform stopping the worker) closes the bot, which stops the child.
        with contextlib.suppress(NotImplementedError):  # not on Windows
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGTERM, lambda: asyncio.ensure_future(bot.close())
            )
        async with bot:
            await bot.start(token)


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for the AutoShardedBot: the shards SHARD_COUNT/SHARD_IDS name."""
    shards = process_shards(settings)
    if shards is None:
        return {}
    return {"shard_count": shards.count, "shard_ids": list(shards.ids)}
