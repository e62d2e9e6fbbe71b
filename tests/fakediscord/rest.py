"""REST routes for the bot's identity, the gateway lookup, command sync and guild reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakediscord import payloads
from tests.fakediscord.limits import ApiError, check_commands
from tests.fakediscord.model import Guild, new_snowflake
from tests.fakediscord.records import CommandPut
from tests.fakediscord.responses import (
    UNKNOWN_GUILD,
    UNKNOWN_MEMBER,
    UNKNOWN_USER,
    json_response,
    loads,
    no_content,
    unknown,
)

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord


def register(api: web.RouteTableDef, fake: FakeDiscord) -> None:
    def guild_of(request: web.Request) -> Guild:
        guild = fake.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise unknown(UNKNOWN_GUILD, "Guild")
        return guild

    def check_app(request: web.Request) -> None:
        if int(request.match_info["app_id"]) != fake.application_id:
            raise ApiError(404, 10002, "Unknown Application")

    @api.get("/users/@me")
    async def me(request: web.Request) -> web.Response:
        return json_response(payloads.user(fake.bot_user) | {"verified": True, "flags": 0})

    @api.get("/users/{user_id:\\d+}")
    async def get_user(request: web.Request) -> web.Response:
        user = fake.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise unknown(UNKNOWN_USER, "User")
        return json_response(payloads.user(user))

    @api.get("/oauth2/applications/@me")
    async def application(request: web.Request) -> web.Response:
        return json_response(
            payloads.application(fake.application_id, fake.bot_user.username, fake.owner)
        )

    @api.get("/gateway")
    async def gateway(request: web.Request) -> web.Response:
        return json_response({"url": fake.gateway_url})

    @api.get("/gateway/bot")
    async def gateway_bot(request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return json_response(
            {"url": fake.gateway_url, "shards": fake.shard_count, "session_start_limit": limit}
        )

    # -- application commands: bulk overwrite is what discord.py's tree.sync() does ----------

    def stored(scope: int | None) -> list[dict[str, Any]]:
        return fake.commands.get(scope, [])

    async def put_commands(request: web.Request, scope: int | None) -> web.Response:
        check_app(request)
        body = await request.json(loads=loads)
        error = check_commands(body)
        if error is not None:
            raise error
        old_ids = {(c["name"], c.get("type", 1)): c["id"] for c in stored(scope)}
        returned = []
        for command in body:
            key = (command["name"], command.get("type", 1))
            returned.append(
                {
                    "type": 1,
                    "description": "",
                    "options": [],
                    "default_member_permissions": None,
                    "nsfw": False,
                    **command,
                    "id": old_ids.get(key) or str(new_snowflake()),  # ids survive re-syncs
                    "application_id": str(fake.application_id),
                    "version": str(new_snowflake()),
                    **({"guild_id": str(scope)} if scope is not None else {}),
                }
            )
        fake.commands[scope] = returned
        fake.command_puts.append(CommandPut(scope, body, returned))
        return json_response(returned)

    def find_command(scope: int | None, command_id: str) -> dict[str, Any]:
        found = next((c for c in stored(scope) if c["id"] == command_id), None)
        if found is None:
            raise ApiError(404, 10063, "Unknown application command")
        return found

    @api.put("/applications/{app_id}/commands")
    async def put_global(request: web.Request) -> web.Response:
        return await put_commands(request, None)

    @api.put("/applications/{app_id}/guilds/{guild_id}/commands")
    async def put_guild(request: web.Request) -> web.Response:
        return await put_commands(request, guild_of(request).id)

    @api.get("/applications/{app_id}/commands")
    async def get_global(request: web.Request) -> web.Response:
        check_app(request)
        return json_response(stored(None))

    @api.get("/applications/{app_id}/guilds/{guild_id}/commands")
    async def get_guild_commands(request: web.Request) -> web.Response:
        check_app(request)
        return json_response(stored(guild_of(request).id))

    @api.get("/applications/{app_id}/commands/{command_id}")
    async def get_global_command(request: web.Request) -> web.Response:
        check_app(request)
        return json_response(find_command(None, request.match_info["command_id"]))

    @api.delete("/applications/{app_id}/commands/{command_id}")
    async def delete_global_command(request: web.Request) -> web.Response:
        check_app(request)
        found = find_command(None, request.match_info["command_id"])
        fake.commands[None] = [c for c in stored(None) if c is not found]
        return no_content()

    # -- guild reads -------------------------------------------------------------------------

    @api.get("/guilds/{guild_id}")
    async def get_guild(request: web.Request) -> web.Response:
        guild = guild_of(request)
        data = payloads.guild(guild)
        if request.query.get("with_counts") in ("1", "true"):
            data |= {
                "approximate_member_count": len(guild.members),
                "approximate_presence_count": 0,
            }
        return json_response(data)

    @api.get("/guilds/{guild_id}/channels")
    async def guild_channels(request: web.Request) -> web.Response:
        guild = guild_of(request)
        return json_response([payloads.channel(c, guild.id) for c in guild.channels])

    @api.get("/guilds/{guild_id}/roles")
    async def guild_roles(request: web.Request) -> web.Response:
        return json_response([payloads.role(r) for r in guild_of(request).roles])

    @api.get("/guilds/{guild_id}/members/{user_id}")
    async def guild_member(request: web.Request) -> web.Response:
        found = guild_of(request).member(int(request.match_info["user_id"]))
        if found is None:
            raise unknown(UNKNOWN_MEMBER, "Member")
        return json_response(payloads.member(found))
