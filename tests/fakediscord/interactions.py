"""Interactions: injecting INTERACTION_CREATE, and the callback/webhook routes that answer it.

Discord's rules are enforced here: the first response must arrive within the deadline
(else 404 10062), only one initial response (else 400 40060), message limits (50035).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakediscord import payloads
from tests.fakediscord.limits import ApiError, check_choices, check_message
from tests.fakediscord.model import User, new_snowflake
from tests.fakediscord.options import Resolver, build_options
from tests.fakediscord.records import LOADING, CallbackRecord, InteractionHandle, SentMessage
from tests.fakediscord.responses import (
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    json_response,
    no_content,
    read_body,
    unknown,
    wants_wait,
)

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

COMMAND, AUTOCOMPLETE = 2, 4
MESSAGE, DEFERRED, DEFERRED_UPDATE, UPDATE, AUTOCOMPLETE_RESULT, MODAL = 4, 5, 6, 7, 8, 9
ALLOWED_TYPES = {COMMAND: {MESSAGE, DEFERRED, MODAL}, AUTOCOMPLETE: {AUTOCOMPLETE_RESULT}}


async def inject(
    fake: FakeDiscord,
    kind: int,
    guild_id: int,
    channel_id: int,
    user: User | int,
    name: str,
    values: dict[str, Any],
    focused: str | None,
    *,
    locale: str = "nl",
    permissions: int | None = None,
    app_permissions: int | None = None,
) -> InteractionHandle:
    guild = fake.guilds[guild_id]
    guild_, channel = fake.channel(channel_id)
    assert channel is not None and guild_ is guild, "inject into a channel of that guild"
    user_id = user if isinstance(user, int) else user.id
    member = guild.member(user_id)
    if member is None:
        raise KeyError(f"user {user_id} is not a member of guild {guild_id}")

    def resolve_user(uid: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
        target = fake.users.get(uid)
        if target is None:
            raise KeyError(f"unknown user {uid}")
        m = guild.member(uid)
        perms = fake.permissions_in(guild, channel, uid) if m else None
        return payloads.user(target), (payloads.member(m, perms, with_user=False) if m else None)

    def resolve_channel(cid: int) -> dict[str, Any]:
        _, target = fake.channel(cid)
        assert target is not None
        perms = fake.permissions_in(guild, target, user_id)
        return payloads.channel(target, guild.id) | {"permissions": str(perms)}

    def resolve_role(rid: int) -> dict[str, Any]:
        role = guild.role(rid)
        if role is None:
            raise KeyError(rid)
        return payloads.role(role)

    path = name.split()
    command, scope = _synced_command(fake, guild_id, path[0])
    resolver = Resolver(resolve_user, resolve_channel, resolve_role)
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

    member_perms = (
        fake.permissions_in(guild, channel, user_id) if permissions is None else permissions
    )
    bot_perms = fake.permissions_in(guild, channel, fake.bot_user.id)
    interaction_id, token = new_snowflake(), "itok_" + secrets.token_urlsafe(24)
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(fake.application_id),
        "type": kind,
        "token": token,
        "version": 1,
        "data": data,
        "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": guild.preferred_locale, "features": []},
        "channel_id": str(channel_id),
        "channel": payloads.channel(channel, guild_id),
        "member": payloads.member(member, member_perms),
        "locale": locale,
        "guild_locale": guild.preferred_locale,
        "app_permissions": str(bot_perms if app_permissions is None else app_permissions),
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": payloads.ATTACHMENT_SIZE_LIMIT,
    }
    session = fake.gateway.session_for(guild_id)
    loop_time = _loop_time()
    handle = InteractionHandle(
        id=interaction_id,
        token=token,
        type=kind,
        name=name,
        guild_id=guild_id,
        channel_id=channel_id,
        user_id=user_id,
        payload=payload,
        created=loop_time,
        deadline=fake.deadline,
        changes=fake.changes,
    )
    fake.interactions[interaction_id] = handle
    await fake.gateway.dispatch(session, "INTERACTION_CREATE", payload)
    return handle


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


def _synced_command(
    fake: FakeDiscord, guild_id: int, name: str
) -> tuple[dict[str, Any] | None, int | None]:
    """The last synced definition: a guild command shadows a global one of the same name."""
    for scope in (guild_id, None):
        for command in fake.commands.get(scope, []):
            if command["name"] == name and command.get("type", 1) == 1:
                return command, scope
    return None, None


def register(api: web.RouteTableDef, fake: FakeDiscord) -> None:
    def handle_for(request: web.Request, code: int = UNKNOWN_WEBHOOK) -> InteractionHandle:
        if "interaction_id" in request.match_info:
            handle = fake.interactions.get(int(request.match_info["interaction_id"]))
        else:
            if int(request.match_info["app_id"]) != fake.application_id:
                raise unknown(UNKNOWN_WEBHOOK, "Webhook")
            token = request.match_info["token"]
            handle = next((h for h in fake.interactions.values() if h.token == token), None)
        if handle is None or handle.token != request.match_info["token"]:
            raise unknown(code, "interaction" if code == UNKNOWN_INTERACTION else "Webhook")
        return handle

    @api.post("/interactions/{interaction_id}/{token}/callback")
    async def callback(request: web.Request) -> web.Response:
        handle = handle_for(request, UNKNOWN_INTERACTION)
        elapsed_ms = (_loop_time() - handle.created) * 1000
        body, files = await read_body(request)
        kind, data = int(body.get("type", 0)), body.get("data") or {}

        def refuse(error: ApiError) -> ApiError:
            record = CallbackRecord(handle.id, kind, data, elapsed_ms, error.status, error.code)
            handle.attempts.append(record)
            fake.interaction_responses.append(record)
            return error

        if handle.response is not None:
            raise refuse(ApiError(400, 40060, "Interaction has already been acknowledged."))
        if elapsed_ms > handle.deadline * 1000:
            raise refuse(unknown(UNKNOWN_INTERACTION, "interaction"))
        if kind not in ALLOWED_TYPES.get(handle.type, set()):
            problem = {"code": "INTERACTION_RESPONSE_TYPE_INVALID", "message": f"type {kind}"}
            raise refuse(
                ApiError(400, 50035, "Invalid Form Body", {"type": {"_errors": [problem]}})
            )
        error = None
        if kind == MESSAGE:
            error = check_message(data, len(files))
        elif kind == AUTOCOMPLETE_RESULT:
            error = check_choices(data)
        if error is not None:
            raise refuse(error)

        record = CallbackRecord(handle.id, kind, data, elapsed_ms, 200)
        handle.attempts.append(record)
        handle.response = record
        fake.interaction_responses.append(record)
        resource: dict[str, Any] = {"type": kind}
        if kind in (MESSAGE, DEFERRED):
            shown = (
                data if kind == MESSAGE else {"flags": LOADING | (int(data.get("flags") or 0) & 64)}
            )
            handle.original = fake.new_message(
                handle.channel_id, shown, files, "interaction", interaction_id=handle.id
            )
            resource["message"] = fake.message_json(handle.original)
        if "with_response" not in request.query:
            return no_content()
        original = handle.original
        return json_response(
            {
                "interaction": {
                    "id": str(handle.id),
                    "type": handle.type,
                    "response_message_id": str(original.id) if original else None,
                    "response_message_loading": kind == DEFERRED,
                    "response_message_ephemeral": bool(original and original.ephemeral),
                },
                "resource": resource,
            }
        )

    def webhook_message(handle: InteractionHandle, message_id: str) -> SentMessage:
        if message_id == "@original":
            if handle.original is None or handle.original.deleted:
                raise unknown(UNKNOWN_MESSAGE, "Message")
            return handle.original
        found = next(
            (m for m in handle.followups if str(m.id) == message_id and not m.deleted), None
        )
        if found is None:
            raise unknown(UNKNOWN_MESSAGE, "Message")
        return found

    @api.get("/webhooks/{app_id}/{token}/messages/{message_id}")
    async def get_webhook_message(request: web.Request) -> web.Response:
        msg = webhook_message(handle_for(request), request.match_info["message_id"])
        return json_response(fake.message_json(msg))

    @api.patch("/webhooks/{app_id}/{token}/messages/{message_id}")
    async def edit_webhook_message(request: web.Request) -> web.Response:
        msg = webhook_message(handle_for(request), request.match_info["message_id"])
        payload, files = await read_body(request)
        merged = {
            "content": payload.get("content", msg.content),
            "embeds": payload.get("embeds", msg.embeds),
            "components": payload.get("components", msg.components),
        }
        kept = len(msg.files) if "attachments" not in payload else len(payload["attachments"] or [])
        error = check_message(merged, kept + len(files))
        if error is not None:
            raise error
        fake.edit_message(msg, payload, files)
        return json_response(fake.message_json(msg))

    @api.delete("/webhooks/{app_id}/{token}/messages/{message_id}")
    async def delete_webhook_message(request: web.Request) -> web.Response:
        webhook_message(handle_for(request), request.match_info["message_id"]).deleted = True
        return no_content()

    @api.post("/webhooks/{app_id}/{token}")
    async def followup(request: web.Request) -> web.Response:
        handle = handle_for(request)
        if handle.response is None:
            raise unknown(UNKNOWN_WEBHOOK, "Webhook")
        payload, files = await read_body(request)
        error = check_message(payload, len(files))
        if error is not None:
            raise error
        original = handle.original
        if original is not None and original.loading:
            # After a defer, Discord turns the first followup into the "thinking" message.
            fake.edit_message(original, payload, files)
            msg = original
        else:
            msg = fake.new_message(
                handle.channel_id, payload, files, "followup", interaction_id=handle.id
            )
            handle.followups.append(msg)
        return json_response(fake.message_json(msg)) if wants_wait(request) else no_content()
