"""JSON payload builders: the shapes discord.py 2.7 reads, with every field it requires.

No server state here; callers pass the model objects and records in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.fakediscord.model import Channel, Guild, Member, Role, User

if TYPE_CHECKING:
    from tests.fakediscord.records import SentMessage

JOINED_AT = "2024-01-01T00:00:00+00:00"
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(u: User) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "username": u.username,
        "global_name": u.global_name,
        "discriminator": "0",
        "avatar": None,
        "bot": u.bot,
        "public_flags": 0,
    }


def member(m: Member, permissions: int | None = None, with_user: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r) for r in m.roles],
        "nick": m.nick,
        "avatar": None,
        "joined_at": JOINED_AT,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user(m.user)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role(r: Role) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "name": r.name,
        "permissions": str(r.permissions),
        "position": r.position,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def channel(c: Channel, guild_id: int) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "type": c.type,
        "name": c.name,
        "position": c.position,
        "guild_id": str(guild_id),
        "parent_id": str(c.parent_id) if c.parent_id else None,
        "topic": c.topic,
        "nsfw": False,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "flags": 0,
        "permission_overwrites": [
            {
                "id": str(o.id),
                "type": 0 if o.type == "role" else 1,
                "allow": str(o.allow),
                "deny": str(o.deny),
            }
            for o in c.overwrites
        ],
    }


def dm_channel(channel_id: int, recipient: User) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 1,
        "last_message_id": None,
        "recipients": [user(recipient)],
    }


def guild(g: Guild) -> dict[str, Any]:
    """The REST guild object (GET /guilds/{id})."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner_id),
        "preferred_locale": g.preferred_locale,
        "roles": [role(r) for r in g.roles],
        "emojis": [],
        "stickers": [],
        "features": [],
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "vanity_url_code": None,
        "max_members": 500000,
    }


def guild_create(g: Guild, members: list[Member], joined: bool = False) -> dict[str, Any]:
    """GUILD_CREATE; one for a guild the bot just joined has no `unavailable` key at all
    (discord.py dispatches on_guild_join instead of on_guild_available then)."""
    data = guild(g)
    if not joined:
        data["unavailable"] = False
    data.update(
        large=False,
        joined_at=JOINED_AT,
        member_count=len(g.members),
        channels=[channel(c, g.id) for c in g.channels],
        members=[member(m) for m in members],
        threads=[],
        voice_states=[],
        presences=[],
        stage_instances=[],
        guild_scheduled_events=[],
        soundboard_sounds=[],
    )
    return data


def ready(
    bot: User,
    application_id: int,
    session_id: str,
    resume_url: str,
    guild_ids: list[int],
    shard: list[int] | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "v": 10,
        "user": user(bot) | {"verified": True, "mfa_enabled": False, "flags": 0},
        "guilds": [{"id": str(gid), "unavailable": True} for gid in guild_ids],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_url,
        "application": {"id": str(application_id), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "user_settings": {},
        "geo_ordered_rtc_regions": [],
        "_trace": ["fake-discord"],
    }
    if shard is not None:
        data["shard"] = shard
    return data


def application(app_id: int, name: str, owner: User) -> dict[str, Any]:
    return {
        "id": str(app_id),
        "name": name,
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user(owner),
        "verify_key": "0" * 64,
        "flags": 0,
        "team": None,
    }


def message(
    msg: SentMessage, author: User, base_url: str, users: dict[int, User]
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(msg.id),
        "channel_id": str(msg.channel_id),
        "type": 20 if msg.interaction_id is not None else 0,
        "content": msg.content,
        "author": user(author),
        "embeds": [{"type": "rich", **e} for e in msg.embeds],
        "attachments": [
            {
                "id": str(f.id),
                "filename": f.filename,
                "size": len(f.data),
                "url": f"{base_url}/attachments/{msg.channel_id}/{f.id}/{f.filename}",
                "proxy_url": f"{base_url}/attachments/{msg.channel_id}/{f.id}/{f.filename}",
                "content_type": f.content_type,
            }
            for f in msg.files
        ],
        "mentions": [user(users[uid]) for uid in sorted(msg.pings.users) if uid in users],
        "mention_roles": [str(r) for r in sorted(msg.pings.roles)],
        "mention_everyone": msg.pings.everyone,
        "pinned": False,
        "tts": False,
        "timestamp": msg.timestamp,
        "edited_timestamp": msg.edited_timestamp,
        "flags": msg.flags,
        "components": msg.components,
    }
    if msg.interaction_id is not None:
        data["webhook_id"] = str(msg.application_id)
        data["application_id"] = str(msg.application_id)
    return data
