"""Starting the Discord bot: the composition root for `python -m bot run`.

Builds the services once (settings, database, HTTP clients), injects them into the client,
runs it, and closes everything in reverse order on the way out. The pipeline (feeds, scoring,
market) runs in a supervised child process (bot/runtime/supervisor.py), never in this one;
with DISCORD_PROCESSES > 1, so do the Discord processes of the other shards (bot/shards.py).
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
from bot.runtime.supervisor import (
    ChildSupervisor,
    child_environment,
    discord_command,
    discord_process_key,
    stop_on_stdin_eof,
)
from bot.shards import child_shard_settings, process_plan, process_shards

log = logging.getLogger(__name__)

HTTP_CONNECTIONS = 16  # to Discord's REST API, per process (at least)


def create_bot(services: Services, **options: Any) -> CryptoBot:
    """The bot, connecting the shards SHARD_COUNT/SHARD_IDS name (unset: as many as Discord
    recommends), with its jobs: the data-version watch that drops cached reads when a pipeline
    anywhere publishes, the pipeline's child process (not when PIPELINE_ENABLED is false:
    then a `python -m bot pipeline` runs elsewhere) and the other Discord processes."""
    jobs: dict[str, Job] = {"data-version": services.data_watch.run}
    if services.settings.pipeline_enabled:
        scheduling = services.settings.pipeline_scheduling
        jobs["pipeline-process"] = ChildSupervisor(services.db, scheduling=scheduling).run
    jobs |= discord_children(services)
    options = client_options(services.settings) | options
    # discord.py's default opens a connection per concurrent request (limit=0): a burst of
    # replies paid a TCP (with Discord: TLS) handshake each; a bounded pool reuses them.
    # Room for every delivery in flight (DIGEST_CONCURRENCY) and replies beside them.
    limit = max(HTTP_CONNECTIONS, 2 * services.settings.digest_concurrency)
    options.setdefault("connector", aiohttp.TCPConnector(limit=limit))
    return CryptoBot(services, jobs=jobs, **options)


def discord_children(services: Services) -> dict[str, Job]:
    """With DISCORD_PROCESSES > 1: a supervisor per other Discord process, each a plain
    worker of its shards run with exactly this process's settings (given as arguments too),
    at this process's priority: they answer users as this one does."""
    settings = services.settings
    jobs: dict[str, Job] = {}
    for index, shards in enumerate(process_plan(settings)[1:], start=1):
        env = child_environment(settings.environment() | child_shard_settings(shards))
        supervisor = ChildSupervisor(
            services.db,
            discord_command(),
            name=f"discord-{index}",
            state_key=discord_process_key(index),
            env=env,
            niceness=0,
        )
        jobs[f"discord-process-{index}"] = supervisor.run
    return jobs


async def run_bot(settings: Settings, token: str, *, supervised: bool = False) -> None:
    """`supervised`: a child of another `run` (DISCORD_PROCESSES), which stops us by closing
    our stdin; SIGINT (a Ctrl-C reaching the whole process group) then closes us cleanly too."""
    configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    async with open_services(settings) as services:
        bot = create_bot(services)
        loop = asyncio.get_running_loop()
        closing: list[asyncio.Task[None]] = []  # a reference, or the task may be collected

        def close() -> None:
            closing.append(asyncio.ensure_future(bot.close()))

        # SIGTERM (a platform stopping the worker) closes the bot, which stops the children.
        for signum in (signal.SIGTERM, signal.SIGINT) if supervised else (signal.SIGTERM,):
            with contextlib.suppress(NotImplementedError):  # not on Windows
                loop.add_signal_handler(signum, close)
        if supervised:
            stop_on_stdin_eof(loop, close)
        async with bot:
            await bot.start(token)


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for the AutoShardedBot: the shards SHARD_COUNT/SHARD_IDS name."""
    shards = process_shards(settings)
    if shards is None:
        return {}
    return {"shard_count": shards.count, "shard_ids": list(shards.ids)}
