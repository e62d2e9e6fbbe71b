"""The one home of Discord's shard rule, and which shards (so which guilds) are this process's.

Discord puts a guild on shard `(guild_id >> 22) % shard_count`. With SHARD_COUNT (and
optionally SHARD_IDS) set, each bot process connects only its shards and delivers digests and
alerts only for their guilds, so every delivery has exactly one owner. Unset, discord.py's
AutoShardedClient asks Discord how many shards to open and this one process runs them all.
DISCORD_PROCESSES=N splits the shards (SHARD_COUNT, default N) over `run`'s own process and
N - 1 supervised children (`process_plan`): as if N workers had been given SHARD_IDS by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from bot.config import Settings

_SHARD_DIVISOR = 1 << 22  # guild_id >> 22, also as an SQL integer division

# Given a subscriptions table, the condition selecting this process's guilds (shards).
Scope = Callable[[sa.Table], sa.ColumnElement[bool]]


def shard_of(guild_id: int, shard_count: int) -> int:
    return (guild_id >> 22) % shard_count


def shard_column(table: sa.Table, shard_count: int) -> sa.ColumnElement[int]:
    """The same rule as `shard_of`, computed by the database over a `guild_id` column."""
    return (table.c.guild_id // _SHARD_DIVISOR) % shard_count


@dataclass(frozen=True)
class Shards:
    ids: tuple[int, ...]
    count: int

    def owns(self, guild_id: int) -> bool:
        return shard_of(guild_id, self.count) in self.ids


def process_plan(settings: Settings) -> list[Shards]:
    """The shards of each of `run`'s DISCORD_PROCESSES processes; the first is `run`'s own.

    Round robin (process i: shards i, i + N, ...): the first holds shard 0, whose owner syncs
    the commands, and each holds as many shards as the next, give or take one.
    """
    n = settings.discord_processes
    count = settings.shard_count or n
    return [Shards(tuple(range(i, count, n)), count) for i in range(n)]


def child_shard_settings(shards: Shards) -> dict[str, str]:
    """Environment overrides that make a child `run` a plain worker of these shards: no
    children of its own, and no pipeline (the parent supervises the one pipeline)."""
    return {
        "SHARD_COUNT": str(shards.count),
        "SHARD_IDS": ",".join(map(str, shards.ids)),
        "DISCORD_PROCESSES": "1",
        "PIPELINE_ENABLED": "false",
    }


def process_shards(settings: Settings) -> Shards | None:
    """This process's shards, or None: discord.py decides and this process runs all of them."""
    if settings.discord_processes > 1:
        return process_plan(settings)[0]
    if settings.shard_count is None:
        return None
    ids = settings.shard_ids if settings.shard_ids is not None else range(settings.shard_count)
    return Shards(tuple(sorted(set(ids))), settings.shard_count)


def syncs_commands(settings: Settings) -> bool:
    """Whether this process PUTs the command definitions: exactly one process does, the one
    owning shard 0 (every process holds the same definitions; Discord rate-limits the PUT)."""
    shards = process_shards(settings)
    return shards is None or 0 in shards.ids


def shard_scope(shard_ids: Sequence[int], shard_count: int) -> Scope:
    """Keep only the rows whose guild sits on one of `shard_ids`."""
    ids = list(shard_ids)

    def where(subs: sa.Table) -> sa.ColumnElement[bool]:
        return shard_column(subs, shard_count).in_(ids)

    return where


def delivery_scope(settings: Settings) -> Scope | None:
    """The guilds whose digests, alerts and live posts this process delivers (None: all)."""
    shards = process_shards(settings)
    if shards is None or len(shards.ids) == shards.count:
        return None
    return shard_scope(shards.ids, shards.count)
