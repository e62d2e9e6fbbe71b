"""Discord permission bits and the channel permission computation Discord documents."""

from __future__ import annotations

from enum import IntFlag
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.fakediscord.model import Channel, Guild


class Perm(IntFlag):
    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    SEND_MESSAGES_IN_THREADS = 1 << 38


ALL = (1 << 51) - 1
DEFAULT_EVERYONE = int(
    Perm.CREATE_INSTANT_INVITE
    | Perm.ADD_REACTIONS
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.SEND_MESSAGES_IN_THREADS
)


def base_permissions(guild: Guild, user_id: int, role_ids: list[int]) -> int:
    if user_id == guild.owner_id:
        return ALL
    perms = 0
    for role in guild.roles:
        if role.id == guild.id or role.id in role_ids:
            perms |= role.permissions
    return ALL if perms & Perm.ADMINISTRATOR else perms


def channel_permissions(guild: Guild, channel: Channel, user_id: int, role_ids: list[int]) -> int:
    """@everyone overwrite, then role overwrites together, then the member's own overwrite."""
    perms = base_permissions(guild, user_id, role_ids)
    if perms == ALL:
        return ALL
    by_id = {(o.type, o.id): o for o in channel.overwrites}
    everyone = by_id.get(("role", guild.id))
    if everyone:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in role_ids:
        overwrite = by_id.get(("role", role_id))
        if overwrite:
            allow |= overwrite.allow
            deny |= overwrite.deny
    perms = (perms & ~deny) | allow
    own = by_id.get(("member", user_id))
    if own:
        perms = (perms & ~own.deny) | own.allow
    return perms
