"""REST routes on channels: read, post/edit/delete messages (JSON or multipart), typing, DMs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakediscord import payloads
from tests.fakediscord.limits import MAX_UPLOAD_BYTES, ApiError, check_message
from tests.fakediscord.model import new_snowflake
from tests.fakediscord.permissions import Perm
from tests.fakediscord.records import SentMessage
from tests.fakediscord.responses import (
    UNKNOWN_MESSAGE,
    UNKNOWN_USER,
    json_response,
    loads,
    no_content,
    read_body,
    unknown,
)

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

MISSING_ACCESS = ApiError(403, 50001, "Missing Access")
MISSING_PERMISSIONS = ApiError(403, 50013, "Missing Permissions")


def register(api: web.RouteTableDef, fake: FakeDiscord) -> None:
    def channel_id(request: web.Request) -> int:
        cid = int(request.match_info["channel_id"])
        fake.channel(cid)  # 404 10003 when unknown or deleted
        return cid

    def find_message(request: web.Request) -> SentMessage:
        cid = channel_id(request)
        mid = int(request.match_info["message_id"])
        found = next((m for m in fake.messages[cid] if m.id == mid and not m.deleted), None)
        if found is None:
            raise unknown(UNKNOWN_MESSAGE, "Message")
        return found

    def bot_permissions(cid: int) -> int | None:
        guild, channel = fake.channel(cid)
        if guild is None or channel is None:
            return None  # DMs have no permission model
        return fake.permissions_in(guild, channel, fake.bot_user.id)

    @api.get("/channels/{channel_id:\\d+}")
    async def get_channel(request: web.Request) -> web.Response:
        cid = int(request.match_info["channel_id"])
        guild, channel = fake.channel(cid)
        if guild is None or channel is None:
            return json_response(payloads.dm_channel(cid, fake.dm_channels[cid]))
        return json_response(payloads.channel(channel, guild.id))

    @api.post("/channels/{channel_id:\\d+}/messages")
    async def create_message(request: web.Request) -> web.Response:
        cid = channel_id(request)
        payload, files = await read_body(request)
        perms = bot_permissions(cid)
        if perms is not None:
            if not perms & Perm.VIEW_CHANNEL:
                raise MISSING_ACCESS
            if not perms & Perm.SEND_MESSAGES or (files and not perms & Perm.ATTACH_FILES):
                raise MISSING_PERMISSIONS
        error = check_message(payload, len(files))
        if error is not None:
            raise error
        if sum(len(f.data) for f in files) > MAX_UPLOAD_BYTES:
            raise ApiError(413, 40005, "Request entity too large")
        nonce = payload.get("nonce")
        if nonce and payload.get("enforce_nonce"):
            # Discord: the same nonce from the same author within a few minutes returns the
            # message created the first time instead of posting again.
            seen = fake.nonces.get((cid, str(nonce)))
            if seen is not None and time.monotonic() - seen[1] < fake.nonce_window:
                return json_response(fake.message_json(seen[0]))
        source = "dm" if perms is None else "channel"
        everyone = perms is None or bool(perms & Perm.MENTION_EVERYONE)
        msg = fake.new_message(cid, payload, files, source, may_ping_everyone=everyone)
        if nonce and payload.get("enforce_nonce"):
            fake.nonces[(cid, str(nonce))] = (msg, time.monotonic())
        if perms is not None and not perms & Perm.EMBED_LINKS and msg.embeds:
            msg.embeds, msg.embeds_suppressed = [], True  # Discord drops them silently
        return json_response(fake.message_json(msg))

    @api.get("/channels/{channel_id:\\d+}/messages")
    async def history(request: web.Request) -> web.Response:
        cid = channel_id(request)
        limit = int(request.query.get("limit", "50"))
        alive = [m for m in fake.messages[cid] if not m.deleted and not m.ephemeral]
        # Discord pages by snowflake and always answers newest first.
        if "after" in request.query:
            after = int(request.query["after"])
            page = [m for m in alive if m.id > after][:limit]
        elif "before" in request.query:
            before = int(request.query["before"])
            page = [m for m in alive if m.id < before][-limit:]
        else:
            page = alive[-limit:]
        return json_response([fake.message_json(m) for m in reversed(page)])

    @api.get("/channels/{channel_id:\\d+}/messages/{message_id:\\d+}")
    async def get_message(request: web.Request) -> web.Response:
        return json_response(fake.message_json(find_message(request)))

    @api.patch("/channels/{channel_id:\\d+}/messages/{message_id:\\d+}")
    async def edit_message(request: web.Request) -> web.Response:
        msg = find_message(request)
        payload, files = await read_body(request)
        error = check_message(payload, len(files), require_body=False)
        if error is not None:
            raise error
        msg.apply_edit(payload, files)
        return json_response(fake.message_json(msg))

    @api.delete("/channels/{channel_id:\\d+}/messages/{message_id:\\d+}")
    async def delete_message(request: web.Request) -> web.Response:
        find_message(request).deleted = True
        return no_content()

    @api.post("/channels/{channel_id:\\d+}/typing")
    async def typing(request: web.Request) -> web.Response:
        channel_id(request)
        return no_content()

    @api.put("/channels/{channel_id:\\d+}/messages/{message_id:\\d+}/reactions/{emoji}/@me")
    async def react(request: web.Request) -> web.Response:
        find_message(request)
        return no_content()

    @api.post("/users/@me/channels")
    async def open_dm(request: web.Request) -> web.Response:
        body = await request.json(loads=loads)
        recipient = fake.users.get(int(body["recipient_id"]))
        if recipient is None:
            raise unknown(UNKNOWN_USER, "User")
        cid = next((c for c, u in fake.dm_channels.items() if u.id == recipient.id), None)
        if cid is None:
            cid = new_snowflake()
            fake.dm_channels[cid] = recipient
        return json_response(payloads.dm_channel(cid, recipient))
