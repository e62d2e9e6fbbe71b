"""Starting the Discord bot: the composition root for `python -m bot run`.

Builds the services once (settings, database, HTTP client, sentiment backend), injects them
into the client, runs it, and closes everything in reverse order on the way out.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.config import Settings
from bot.discord.client import CryptoBot, configure_endpoints
from bot.runtime.jobs import background_jobs
from bot.runtime.services import Services, open_services
from bot.shards import process_shards

log = logging.getLogger(__name__)


def create_bot(services: Services, **options: Any) -> CryptoBot:
    """The bot with its background jobs (skipped when PIPELINE_ENABLED is false), connecting
    the shards SHARD_COUNT/SHARD_IDS name (unset: as many as Discord recommends)."""
    jobs = background_jobs(services) if services.settings.pipeline_enabled else {}
    options = client_options(services.settings) | options
    return CryptoBot(services, jobs=jobs, **options)


async def run_bot(settings: Settings, token: str) -> None:
    configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    async with open_services(settings) as services:
        bot = create_bot(services)
        async with bot:
            await bot.start(token)


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for the AutoShardedBot: the shards SHARD_COUNT/SHARD_IDS name."""
    shards = process_shards(settings)
    if shards is None:
        return {}
    return {"shard_count": shards.count, "shard_ids": list(shards.ids)}
