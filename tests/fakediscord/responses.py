"""Response and request-body helpers shared by the route modules."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import BodyPartReader, web

from tests.fakediscord.limits import ApiError
from tests.fakediscord.model import new_snowflake
from tests.fakediscord.records import SentFile


def dumps(data: Any) -> str:
    """JSON text, as `json.dumps` gives it but several times faster (orjson; int keys become
    strings, as in `json`)."""
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # Exactly "application/json": discord.py reads "...; charset=utf-8" as text.
    return web.Response(
        body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def error_response(err: ApiError) -> web.Response:
    return json_response(err.body(), status=err.status)


def no_content() -> web.Response:
    return web.Response(status=204)


def unknown(code: int, what: str) -> ApiError:
    return ApiError(404, code, f"Unknown {what}")


UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_USER = 10013
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062


def wants_wait(request: web.Request) -> bool:
    return request.query.get("wait", "").lower() in ("1", "true")


async def read_body(request: web.Request) -> tuple[Any, list[SentFile]]:
    """A JSON body, or multipart with `payload_json` and `files[n]` parts (as discord.py sends)."""
    if not request.body_exists:
        return {}, []
    if not request.content_type.startswith("multipart/"):
        return await request.json(loads=loads), []
    payload: Any = {}
    files: list[SentFile] = []
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        name = part.name or ""
        if name == "payload_json":
            payload = loads(await part.read(decode=False))
        elif name.startswith("files["):
            data = bytes(await part.read(decode=False))
            content_type = part.headers.get("Content-Type")
            files.append(SentFile(new_snowflake(), part.filename or name, data, content_type))
    return payload, files
