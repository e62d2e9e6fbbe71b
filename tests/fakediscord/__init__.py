"""A fake Discord (REST + gateway on 127.0.0.1) that the real discord.py client connects to.

See docs/testing.md. `use_fake(fake)` points discord.py's two class attributes at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.fakediscord.faults import Fault
from tests.fakediscord.limits import ApiError
from tests.fakediscord.mentions import Pings
from tests.fakediscord.model import (
    Channel,
    Guild,
    Member,
    Overwrite,
    Role,
    User,
    guild_id_for_shard,
    new_snowflake,
    shard_of,
)
from tests.fakediscord.permissions import ALL, DEFAULT_EVERYONE, Perm
from tests.fakediscord.records import (
    CallbackRecord,
    CommandPut,
    DeadlineMissed,
    IdentifyRecord,
    InteractionHandle,
    SentFile,
    SentMessage,
)
from tests.fakediscord.server import FakeDiscord


@contextmanager
def use_fake(fake: FakeDiscord) -> Iterator[None]:
    """Point discord.py's REST base and default gateway at the fake; restore them after.

    The bot does this itself from DISCORD_API_BASE / DISCORD_GATEWAY_URL; this is for tests
    that drive a bare discord.py client.
    """
    import discord
    import yarl

    old_base, old_gateway = (
        discord.http.Route.BASE,
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


__all__ = [
    "ALL",
    "DEFAULT_EVERYONE",
    "ApiError",
    "CallbackRecord",
    "Channel",
    "CommandPut",
    "DeadlineMissed",
    "FakeDiscord",
    "Fault",
    "Guild",
    "IdentifyRecord",
    "InteractionHandle",
    "Member",
    "Overwrite",
    "Perm",
    "Pings",
    "Role",
    "SentFile",
    "SentMessage",
    "User",
    "guild_id_for_shard",
    "new_snowflake",
    "shard_of",
    "use_fake",
]
