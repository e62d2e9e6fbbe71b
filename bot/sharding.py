"""Which Discord shards this process serves, and so which guilds' deliveries are its own.

Discord puts a guild on shard `(guild_id >> 22) % shard_count`. With SHARD_COUNT (and
optionally SHARD_IDS) set, each bot process connects only its shards and delivers digests and
alerts only for their guilds, so every delivery has exactly one owner. Unset, discord.py's
AutoShardedClient asks Discord how many shards to open and this one process runs them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.digest.delivery import Scope, shard_scope


@dataclass(frozen=True)
class Shards:
    ids: tuple[int, ...]
    count: int

    def owns(self, guild_id: int) -> bool:
        return (guild_id >> 22) % self.count in self.ids


def process_shards(settings: Settings) -> Shards | None:
    """This process's shards, or None: discord.py decides and this process runs all of them."""
    if settings.shard_count is None:
        return None
    ids = settings.shard_ids if settings.shard_ids is not None else range(settings.shard_count)
    return Shards(tuple(sorted(set(ids))), settings.shard_count)


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for the AutoShardedBot."""
    shards = process_shards(settings)
    if shards is None:
        return {}
    return {"shard_count": shards.count, "shard_ids": list(shards.ids)}


def delivery_scope(settings: Settings) -> Scope | None:
    """The guilds whose digests and alerts this process delivers (None: all of them)."""
    shards = process_shards(settings)
    if shards is None or len(shards.ids) == shards.count:
        return None
    return shard_scope(shards.ids, shards.count)
