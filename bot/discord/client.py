"""The discord.py client: built by the composition root, owns no globals.

`setup_hook` sets the translator, loads the cogs, syncs commands only when their definitions
changed (in the process owning shard 0 only), and starts the background jobs, the start-up
guild reconciliation and the heap trim; `close` stops them. Joins and removals go to
bot/discord/membership.py.
Services (database, HTTP client) belong to the launcher, which closes them after the bot.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import importlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot.discord.membership import GuildMembership
from bot.discord.translator import CatalogTranslator
from bot.discord.tree import BotTree
from bot.guilds.settings import GuildLanguages
from bot.runtime.services import Services
from bot.runtime.tuning import settle_after_startup
from bot.shards import syncs_commands
from bot.storage import kv
from bot.utils.heap import trim_heap_every
from bot.utils.tasks import cancel_and_wait

log = logging.getLogger(__name__)

EXTENSIONS = (
    "cogs.news",
    "cogs.sentiment",
    "cogs.signal",
    "cogs.language",
    "cogs.feeds",
    "cogs.about",
    "cogs.digest",
    "cogs.live",
)

Job = Callable[[], Awaitable[None]]

# The collector's thresholds once started (start-up's objects are frozen before: see
# bot/runtime/tuning.py). CPython's (700, 10, 10) ran ~24 collections, 60-120 ms of the loop's
# CPU, during a 200-burst; these run about one young collection (bench.interactions --gc).
# Nothing may rely on the collector to release a resource (an SQLite connection's lock did:
# bot/storage/db.py RollbackOnClose). None: CPython's.
GC_THRESHOLDS: tuple[int, ...] | None = (20_000, 20, 20)


def configure_endpoints(api_base: str, gateway_url: str) -> None:
    """Point discord.py at Discord, a REST proxy or a Discord-compatible server.

    discord.py reads these class attributes when it builds a request or opens the gateway.
    """
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def minimal_intents() -> discord.Intents:
    # Slash commands need only the guilds intent (guild and channel objects); nothing privileged.
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


class CryptoBot(commands.AutoShardedBot):
    """Sharded: SHARD_COUNT/SHARD_IDS pick the shards (bot.shards), else Discord's count."""

    def __init__(self, services: Services, *, jobs: dict[str, Job] | None = None, **kwargs: Any):
        kwargs.setdefault("guild_ready_timeout", 2.0)
        # Never sleep minutes inside discord.py on a 429: callers (deliveries) retry later.
        kwargs.setdefault("max_ratelimit_timeout", 30.0)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=minimal_intents(),
            tree_cls=BotTree,
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            **kwargs,
        )
        self.services = services
        self.settings = services.settings
        self.languages = GuildLanguages(services.db, services.settings.default_language)
        self.membership = GuildMembership(self, services.db)
        self._jobs = jobs or {}
        self._tasks: list[asyncio.Task[None]] = []
        self._settled = False

    async def setup_hook(self) -> None:
        # No model here: the pipeline (a child process, or one elsewhere) scores, and this
        # process stays small (tests/discord/test_process_imports.py). The chart module
        # (matplotlib) loads now, in a thread: on the first /signal it would hold the loop.
        await asyncio.to_thread(importlib.import_module, "bot.market.chart")
        await self.tree.set_translator(CatalogTranslator())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if syncs_commands(self.settings):  # one process of several: shard 0's owner
            await self.sync_commands_if_changed()
        jobs = {
            **self._jobs,
            "guild-reconciliation": self.membership.reconcile_when_ready,
            # Answers recomputed after each publication leave freed heap behind (bot.utils.heap).
            "heap-trim": trim_heap_every,
        }
        for name, job in jobs.items():
            self._tasks.append(asyncio.create_task(_supervised(name, job), name=name))
        settle_after_startup()
        if GC_THRESHOLDS:
            gc.set_threshold(*GC_THRESHOLDS)

    async def sync_commands_if_changed(self) -> bool:
        """Sync only when the payload (definitions and translations) differs from the last one.

        discord.py does a full bulk overwrite on every sync; Discord rate-limits those, and a
        restart loop would burn through the limit.
        """
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        translator = self.tree.translator
        payload = [
            await command.get_translated_payload(self.tree, translator)  # type: ignore[arg-type]
            for command in self.tree.get_commands(guild=guild)
        ]
        scope = f"guild:{guild.id}" if guild else "global"
        digest = hashlib.sha256(
            json.dumps({"app": self.application_id, "commands": payload}, sort_keys=True).encode()
        ).hexdigest()
        key = f"command_sync:{scope}"
        if await kv.get_value(self.services.db, key) == digest:
            log.info("commands unchanged (%s): not syncing", scope)
            return False
        await self.tree.sync(guild=guild)
        await kv.set_value(self.services.db, key, digest)
        log.info("synced %d commands (%s)", len(payload), scope)
        return True

    async def on_ready(self) -> None:
        # May fire again after a reconnect: log only, start nothing here.
        log.info("ready as %s in %d servers", self.user, len(self.guilds))
        if not self._settled:
            # The servers' state (guilds, channels, roles) lives as long as the process, like
            # the start-up objects frozen in setup_hook: freeze it too, so the collections a
            # burst triggers do not walk it (it was most of the first young collection).
            self._settled = True
            settle_after_startup()

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.membership.guild_changed(guild.id)

    async def on_guild_update(self, before: discord.Guild, after: discord.Guild) -> None:
        if before.preferred_locale != after.preferred_locale:
            await self.membership.locales_changed([after.id])

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # Only a real removal: an outage is on_guild_unavailable (bot/discord/membership.py).
        await self.membership.guild_changed(guild.id)

    async def close(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks.clear()
        await super().close()


async def _supervised(name: str, job: Job) -> None:
    """Run a long-lived job; log and restart it after a pause if it ever crashes."""
    while True:
        try:
            await job()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background job %s crashed; restarting in 30 s", name)
            await asyncio.sleep(30)
