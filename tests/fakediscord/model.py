"""Declarations of the fake Discord's world: users, guilds, channels, roles, overwrites.

Tests build these with plain dataclasses; the payload builders turn them into the JSON
shapes discord.py expects.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from tests.fakediscord.permissions import DEFAULT_EVERYONE

DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count(1)


def new_snowflake() -> int:
    """A unique id shaped like Discord's (timestamp in the high bits)."""
    now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (now_ms << 22) | (next(_counter) & 0x3FFFFF)


def guild_id_for_shard(shard_id: int, shard_count: int, n: int = 1) -> int:
    """The n-th guild id that Discord routes to `shard_id` of `shard_count`."""
    return ((n * shard_count + shard_id) << 22) | 1


def shard_of(guild_id: int, shard_count: int) -> int:
    return (guild_id >> 22) % shard_count


@dataclass
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False


@dataclass
class Role:
    id: int
    name: str
    permissions: int = 0
    position: int = 1


@dataclass
class Overwrite:
    """A channel permission overwrite; `type` is "role" or "member"."""

    id: int
    type: str = "role"
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    id: int
    name: str
    type: int = 0  # 0 = text
    overwrites: list[Overwrite] = field(default_factory=list)
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None


@dataclass
class Member:
    user: User
    roles: list[int] = field(default_factory=list)
    nick: str | None = None


@dataclass
class Guild:
    """A server. The @everyone role (id == guild id) is added when not declared."""

    id: int
    name: str
    owner_id: int
    preferred_locale: str = "en-US"
    channels: list[Channel] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    bot_roles: list[int] = field(default_factory=list)
    everyone_permissions: int = DEFAULT_EVERYONE
    # In an outage: READY lists it (unavailable, as always) but no GUILD_CREATE follows.
    unavailable: bool = False

    def __post_init__(self) -> None:
        if not any(role.id == self.id for role in self.roles):
            self.roles.insert(0, Role(self.id, "@everyone", self.everyone_permissions, 0))

    def channel(self, channel_id: int) -> Channel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def role(self, role_id: int) -> Role | None:
        return next((r for r in self.roles if r.id == role_id), None)

    def member(self, user_id: int) -> Member | None:
        return next((m for m in self.members if m.user.id == user_id), None)
