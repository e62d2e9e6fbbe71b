"""Build and send INTERACTION_CREATE events: slash commands, autocomplete, component clicks.

Payloads carry what discord.py 2.7 needs (attachment_size_limit, the full channel object,
member permissions, app_permissions, data.resolved) and go to the shard owning the guild.
`prepare` builds one (payload encoded) and `send` dispatches it: the interaction's clock
starts in `send`, just before its frame is written, so a benchmark can build a burst first.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.fakediscord import payloads
from tests.fakediscord.model import Channel, Guild, User, new_snowflake
from tests.fakediscord.options import Resolver, build_options
from tests.fakediscord.records import InteractionHandle, SentMessage, clock
from tests.fakediscord.responses import dumps

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

COMMAND, COMPONENT, AUTOCOMPLETE = 2, 3, 4


def _synced_command(
    fake: FakeDiscord, guild_id: int, name: str
) -> tuple[dict[str, Any] | None, int | None]:
    """The last synced definition: a guild command shadows a global one of the same name."""
    for scope in (guild_id, None):
        for command in fake.commands.get(scope, []):
            if command["name"] == name and command.get("type", 1) == 1:
                return command, scope
    return None, None


def _resolver(fake: FakeDiscord, guild: Guild, channel: Channel, user_id: int) -> Resolver:
    def resolve_user(uid: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
        target = fake.users.get(uid)
        if target is None:
            raise KeyError(f"unknown user {uid}")
        m = guild.member(uid)
        perms = fake.permissions_in(guild, channel, uid) if m else None
        return payloads.user(target), (payloads.member(m, perms, with_user=False) if m else None)

    def resolve_channel(cid: int) -> dict[str, Any]:
        _, target = fake.channel(cid)
        if target is None:
            raise KeyError(f"channel {cid} is not a guild channel")
        perms = fake.permissions_in(guild, target, user_id)
        return payloads.channel(target, guild.id) | {"permissions": str(perms)}

    def resolve_role(rid: int) -> dict[str, Any]:
        role = guild.role(rid)
        if role is None:
            raise KeyError(rid)
        return payloads.role(role)

    return Resolver(resolve_user, resolve_channel, resolve_role)


def command_data(
    fake: FakeDiscord,
    guild: Guild,
    channel: Channel,
    user_id: int,
    name: str,
    values: dict[str, Any],
    focused: str | None,
) -> dict[str, Any]:
    path = name.split()
    command, scope = _synced_command(fake, guild.id, path[0])
    resolver = _resolver(fake, guild, channel, user_id)
    data: dict[str, Any] = {
        "id": command["id"] if command else str(new_snowflake()),
        "name": path[0],
        "type": 1,
        "options": build_options(command, path[1:], values, resolver, focused),
    }
    if resolver.resolved:
        data["resolved"] = resolver.resolved
    if scope is not None:
        data["guild_id"] = str(scope)  # discord.py looks guild commands up by it
    return data


@dataclass
class Prepared:
    """An interaction built but not sent: its handle and its payload already encoded."""

    handle: InteractionHandle
    data: str  # the INTERACTION_CREATE payload as JSON


def prepare(
    fake: FakeDiscord,
    kind: int,
    guild_id: int,
    channel_id: int,
    user: User | int,
    name: str,
    data_for: Any,
    *,
    locale: str = "nl",
    permissions: int | None = None,
    app_permissions: int | None = None,
    message: SentMessage | None = None,
) -> Prepared:
    """Build one interaction; `data_for(guild, channel, user_id)` builds its `data`. Its
    clock starts when `send` sends it, as Discord's starts when it dispatches the event."""
    guild = fake.guilds[guild_id]
    owner, channel = fake.channel(channel_id)
    if channel is None or owner is not guild:
        raise ValueError(f"channel {channel_id} is not a channel of guild {guild_id}")
    user_id = user if isinstance(user, int) else user.id
    member = guild.member(user_id)
    if member is None:
        raise KeyError(f"user {user_id} is not a member of guild {guild_id}")
    if permissions is None:
        permissions = fake.permissions_in(guild, channel, user_id)
    if app_permissions is None:
        app_permissions = fake.permissions_in(guild, channel, fake.bot_user.id)

    interaction_id, token = new_snowflake(), "itok_" + secrets.token_urlsafe(24)
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(fake.application_id),
        "type": kind,
        "token": token,
        "version": 1,
        "data": data_for(guild, channel, user_id),
        "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": guild.preferred_locale, "features": []},
        "channel_id": str(channel_id),
        "channel": payloads.channel(channel, guild_id),
        "member": payloads.member(member, permissions),
        "locale": locale,
        "guild_locale": guild.preferred_locale,
        "app_permissions": str(app_permissions),
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": payloads.ATTACHMENT_SIZE_LIMIT,
    }
    if message is not None:
        payload["message"] = fake.message_json(message)
    handle = InteractionHandle(
        id=interaction_id,
        token=token,
        type=kind,
        name=name,
        guild_id=guild_id,
        channel_id=channel_id,
        user_id=user_id,
        payload=payload,
        created=math.nan,  # not sent yet
        deadline=fake.deadline,
        changes=fake.changes,
        target=message,
    )
    return Prepared(handle, dumps(payload))


def prepare_command(
    fake: FakeDiscord,
    guild_id: int,
    channel_id: int,
    user: User | int,
    name: str,
    options: dict[str, Any],
    focused: str | None = None,
    **kwargs: Any,
) -> Prepared:
    """A slash command (type 2), or its autocomplete (type 4) when `focused` names an option."""

    def data(guild: Guild, channel: Channel, user_id: int) -> dict[str, Any]:
        return command_data(fake, guild, channel, user_id, name, options, focused)

    kind = COMMAND if focused is None else AUTOCOMPLETE
    return prepare(fake, kind, guild_id, channel_id, user, name, data, **kwargs)


async def send(fake: FakeDiscord, prepared: Prepared) -> InteractionHandle:
    """Dispatch a prepared interaction to the shard owning its guild; its clock starts here."""
    handle = prepared.handle
    if handle.id in fake.interactions:
        raise ValueError(f"interaction {handle.id} was sent already")
    session = fake.gateway.session_for(handle.guild_id)
    handle.created = clock()
    fake.interactions[handle.id] = handle
    fake.interactions_by_token[handle.token] = handle
    await fake.gateway.dispatch_encoded(session, "INTERACTION_CREATE", prepared.data)
    return handle


async def send_interaction(fake: FakeDiscord, *args: Any, **kwargs: Any) -> InteractionHandle:
    """Build (`prepare`'s arguments) and send one interaction."""
    return await send(fake, prepare(fake, *args, **kwargs))


def component_data(
    message: SentMessage, custom_id: str, values: list[str] | None
) -> dict[str, Any]:
    """A click on a button (component_type 2) or a choice in a select menu (values given)."""
    component_type = 2 if values is None else 3
    for row in message.components:
        for component in row.get("components", []):
            if component.get("custom_id") == custom_id:
                component_type = component["type"]
                break
        else:
            continue
        break
    else:
        raise KeyError(f"message {message.id} has no component {custom_id!r}")
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        data["values"] = values
    return data
