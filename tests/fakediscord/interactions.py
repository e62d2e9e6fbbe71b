"""Interaction routes: the callback and the webhook endpoints that answer an interaction.

Discord's rules are enforced here: the first response must arrive within the deadline
(else 404 10062), only one initial response (else 400 40060), message limits (50035).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakediscord.inject import AUTOCOMPLETE, COMMAND, COMPONENT
from tests.fakediscord.limits import ApiError, check_choices, check_message
from tests.fakediscord.records import (
    LOADING,
    CallbackRecord,
    InteractionHandle,
    SentMessage,
    clock,
)
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

MESSAGE, DEFERRED, DEFERRED_UPDATE, UPDATE, AUTOCOMPLETE_RESULT, MODAL = 4, 5, 6, 7, 8, 9
ALLOWED_TYPES = {
    COMMAND: {MESSAGE, DEFERRED, MODAL},
    COMPONENT: {MESSAGE, DEFERRED, DEFERRED_UPDATE, UPDATE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
}


def register(api: web.RouteTableDef, fake: FakeDiscord) -> None:
    def handle_for(request: web.Request, code: int = UNKNOWN_WEBHOOK) -> InteractionHandle:
        if "interaction_id" in request.match_info:
            handle = fake.interactions.get(int(request.match_info["interaction_id"]))
        else:
            if int(request.match_info["app_id"]) != fake.application_id:
                raise unknown(UNKNOWN_WEBHOOK, "Webhook")
            token = request.match_info["token"]
            handle = fake.interactions_by_token.get(token)
        if handle is None or handle.token != request.match_info["token"]:
            raise unknown(code, "interaction" if code == UNKNOWN_INTERACTION else "Webhook")
        return handle

    @api.post("/interactions/{interaction_id}/{token}/callback")
    async def callback(request: web.Request) -> web.Response:
        handle = handle_for(request, UNKNOWN_INTERACTION)
        # The clock stops as the request is handled, before its body is read or checked.
        elapsed_ms = (clock() - handle.created) * 1000
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
        elif kind == UPDATE:
            error = check_message(data, len(files), require_body=False)
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
        elif kind in (UPDATE, DEFERRED_UPDATE):
            # A component's update edits the message the component sits on.
            handle.original = handle.target
            if kind == UPDATE and handle.original is not None:
                handle.original.apply_edit(data, files)
        if handle.original is not None and kind != DEFERRED_UPDATE:
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
        msg.apply_edit(payload, files)
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
            original.apply_edit(payload, files)
            msg = original
        else:
            msg = fake.new_message(
                handle.channel_id, payload, files, "followup", interaction_id=handle.id
            )
            handle.followups.append(msg)
        return json_response(fake.message_json(msg)) if wants_wait(request) else no_content()
