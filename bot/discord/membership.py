"""Which servers the bot is in, from Discord's events into bot/guilds/membership.py.

- `on_guild_remove` (GUILD_DELETE without `unavailable`: kicked, banned, server deleted) and
  `on_guild_join` (GUILD_CREATE without `unavailable`) call `guild_changed`. An outage
  (GUILD_DELETE with `unavailable: true`) is `on_guild_unavailable`, which changes nothing.
- Each server's Discord locale is recorded too (`record_locales`: on join, on GUILD_UPDATE,
  and for every available server at start-up), so the pipeline translates into Dutch for a
  Dutch server that never ran /language.
- At start-up, `reconcile_when_ready` (a task started in setup_hook, never on_ready, which
  fires again after reconnects) waits for the client to be ready, then compares the guilds
  this process's shards see with the database. Only those shards' guilds are judged (other
  processes run the others), guilds in the list but unavailable count as present, and it
  waits while any of its shards is not connected: an incomplete list never marks removals.

discord.py runs each event handler as its own task, so a quick remove-and-rejoin can run
handlers out of order. Each handler therefore stores what the client's guild cache says NOW
(updated before the event was dispatched), one at a time: the last one to run wins, and it
saw the latest state.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import discord

from bot.guilds.membership import mark_present, mark_removed, reconcile
from bot.guilds.settings import record_locales
from bot.shards import Shards
from bot.storage import Database

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  # while a shard is reconnecting at start-up


class GuildMembership:
    def __init__(self, client: discord.AutoShardedClient, db: Database) -> None:
        self._client = client
        self._db = db
        self._lock = asyncio.Lock()
        self.reconciled = asyncio.Event()  # set once the start-up reconciliation is done

    async def guild_changed(self, guild_id: int) -> None:
        async with self._lock:
            now = datetime.now(UTC)
            if self._client.get_guild(guild_id) is None:
                await mark_removed(self._db, guild_id, now=now)
            else:  # joined, or back before this handler ran: present (even if unavailable)
                await mark_present(self._db, guild_id, now=now)
                await self.locales_changed([guild_id])

    async def locales_changed(self, guild_ids: list[int]) -> None:
        """Record the locales of those servers the client has (available) data for."""
        locales = {}
        for guild_id in guild_ids:
            guild = self._client.get_guild(guild_id)
            if guild is not None and not guild.unavailable:
                locales[guild_id] = guild.preferred_locale.value
        if locales:
            await record_locales(self._db, locales)

    def connected_shards(self) -> Shards | None:
        """This process's shards when every one of them is connected, else None."""
        client = self._client
        if not client.is_ready() or client.shard_count is None:
            return None
        ids = tuple(client.shard_ids or range(client.shard_count))
        for shard_id in ids:
            shard = client.get_shard(shard_id)
            if shard is None or shard.is_closed():
                return None
        return Shards(ids, client.shard_count)

    async def reconcile_when_ready(self) -> None:
        await self._client.wait_until_ready()
        while (shards := self.connected_shards()) is None:
            log.info("guild reconciliation waits: not every shard is connected")
            await asyncio.sleep(RETRY_SECONDS)
        async with self._lock:
            present = [guild.id for guild in self._client.guilds]  # unavailable ones too
            done = await reconcile(self._db, present, shards.owns, now=datetime.now(UTC))
            await self.locales_changed(present)
        log.info(
            "guild reconciliation: %d servers present on shards %s; marked removed: %s; back: %s",
            len(present),
            list(shards.ids),
            done.removed or "none",
            done.restored or "none",
        )
        self.reconciled.set()
