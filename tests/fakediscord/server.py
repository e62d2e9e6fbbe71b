"""FakeDiscord: an aiohttp REST API and websocket gateway on 127.0.0.1 that discord.py logs in to.

    async with FakeDiscord([guild]) as fake:
        ...  # point discord.py at fake.api_base / fake.gateway_url, start the bot
        handle = await fake.slash(guild.id, channel.id, user, "news", {"coin": "BTC"})
        reply = await handle.wait_final()

Route handlers live in rest.py, channels.py and interactions.py; payload shapes in payloads.py.
"""

# The waiting helpers take `timeout` on purpose: it is the test's patience, not a cancel scope.
# ruff: noqa: ASYNC109

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from aiohttp import web

from tests.fakediscord import channels, inject, interactions, payloads, rest
from tests.fakediscord.faults import Fault, Faults
from tests.fakediscord.gateway import Gateway
from tests.fakediscord.limits import ApiError
from tests.fakediscord.mentions import resolve_pings
from tests.fakediscord.model import Channel, Guild, Member, User, new_snowflake
from tests.fakediscord.permissions import channel_permissions
from tests.fakediscord.records import (
    CallbackRecord,
    Changes,
    CommandPut,
    IdentifyRecord,
    InteractionHandle,
    SentFile,
    SentMessage,
)
from tests.fakediscord.responses import UNKNOWN_CHANNEL, error_response, json_response, unknown

T = TypeVar("T")
API_PREFIX = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeDiscord:
    def __init__(
        self,
        guilds: Iterable[Guild] = (),
        *,
        bot_user: User | None = None,
        application_id: int | None = None,
        owner: User | None = None,
        users: Iterable[User] = (),
        token: str = "fake-token",
        deadline: float = 3.0,
        shard_count: int = 1,
        heartbeat_interval_ms: int = 41_250,
        privileged_intents: bool = False,
        nonce_window: float = 300.0,
    ) -> None:
        self.bot_user = bot_user or User(new_snowflake(), "FakeBot", bot=True)
        self.application_id = application_id or self.bot_user.id
        self.owner = owner or User(new_snowflake(), "app-owner")
        self.token = token
        self.deadline = deadline
        self.shard_count = shard_count
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.privileged_intents = privileged_intents
        # enforce_nonce: (channel, nonce) -> (message, monotonic time it was created)
        self.nonce_window = nonce_window
        self.nonces: dict[tuple[int, str], tuple[SentMessage, float]] = {}

        self.guilds: dict[int, Guild] = {g.id: g for g in guilds}
        self.users: dict[int, User] = {u.id: u for u in (self.bot_user, self.owner, *users)}
        for guild in self.guilds.values():
            if guild.member(self.bot_user.id) is None:
                guild.members.append(Member(self.bot_user, list(guild.bot_roles)))
            self.users.update((m.user.id, m.user) for m in guild.members)
        self.dm_channels: dict[int, User] = {}
        self.deleted_channels: set[int] = set()

        # Records, in arrival order.
        self.messages: defaultdict[int, list[SentMessage]] = defaultdict(list)
        self.command_puts: list[CommandPut] = []
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.interaction_responses: list[CallbackRecord] = []
        self.interactions: dict[int, InteractionHandle] = {}
        self.interactions_by_token: dict[str, InteractionHandle] = {}
        self.identifies: list[IdentifyRecord] = []
        self.resumes: list[str] = []
        self.presence_updates: list[Any] = []
        self.requests: list[tuple[str, str]] = []
        self.unhandled: list[tuple[str, str]] = []
        self.faults = Faults()
        self.changes = Changes()
        self.gateway = Gateway(self)
        self._cursors: defaultdict[int, int] = defaultdict(int)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        api = web.RouteTableDef()
        rest.register(api, self)
        channels.register(api, self)
        interactions.register(api, self)
        for route in api:
            assert isinstance(route, web.RouteDef)
            app.router.add_route(route.method, API_PREFIX + route.path, route.handler)
        app.router.add_get("/attachments/{channel_id}/{file_id}/{filename}", self._attachment)
        app.router.add_route("*", "/{tail:.*}", self._unhandled)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)  # 200 at once
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        """Close the bot first: discord.py reconnects when the gateway goes away under it."""
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- test controls -------------------------------------------------------------------------

    async def slash(
        self,
        guild_id: int,
        channel_id: int,
        user: User | int,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        locale: str = "nl",
        permissions: int | None = None,
        app_permissions: int | None = None,
    ) -> InteractionHandle:
        """Send a slash command (INTERACTION_CREATE type 2) to the shard that owns the guild.

        `name` may hold a subcommand path ("language set"); `options` maps option names to
        values (User, Channel or Role objects or ids for entity options). `permissions` and
        `app_permissions` default to what roles and overwrites give the user and the bot.
        """

        prepared = inject.prepare_command(
            self, guild_id, channel_id, user, name, options or {},
            locale=locale, permissions=permissions, app_permissions=app_permissions,
        )  # fmt: skip
        return await inject.send(self, prepared)

    async def autocomplete(
        self,
        guild_id: int,
        channel_id: int,
        user: User | int,
        name: str,
        options: dict[str, Any],
        focused: str,
        *,
        locale: str = "nl",
    ) -> InteractionHandle:
        """Send an autocomplete request (type 4); `options[focused]` is what the user typed."""

        prepared = inject.prepare_command(
            self, guild_id, channel_id, user, name, options, focused, locale=locale
        )
        return await inject.send(self, prepared)

    async def click(
        self,
        message: SentMessage,
        custom_id: str,
        user: User | int,
        *,
        values: list[str] | None = None,
        locale: str = "nl",
    ) -> InteractionHandle:
        """Press a button (or pick `values` in a select menu) on a message the bot sent."""
        guild, _ = self.channel(message.channel_id)
        if guild is None:
            raise ValueError("component clicks are supported in guild channels only")
        data = inject.component_data(message, custom_id, values)
        return await inject.send_interaction(
            self, inject.COMPONENT, guild.id, message.channel_id, user, custom_id,
            lambda *_: data, locale=locale, message=message,
        )  # fmt: skip

    async def request_reconnect(self, shard_id: int | None = None) -> int:
        """Send op 7 RECONNECT to the connected sessions (of one shard); returns how many."""
        return await self.gateway.request_reconnect(shard_id)

    async def add_guild(self, guild: Guild) -> None:
        """The bot joins a server: GUILD_CREATE goes to the sessions that own it."""
        if guild.member(self.bot_user.id) is None:
            guild.members.append(Member(self.bot_user, list(guild.bot_roles)))
        self.guilds[guild.id] = guild
        self.users.update((m.user.id, m.user) for m in guild.members)
        await self.gateway.announce_guild(guild)

    async def remove_guild(self, guild_id: int) -> None:
        """The bot is removed from a server: GUILD_DELETE (without `unavailable`)."""
        del self.guilds[guild_id]
        await self.gateway.broadcast(guild_id, "GUILD_DELETE", {"id": str(guild_id)})

    async def outage(self, guild_id: int) -> None:
        """The server becomes unavailable (GUILD_DELETE with `unavailable: true`): an outage,
        not a removal; sessions IDENTIFYing meanwhile get no GUILD_CREATE for it."""
        self.guilds[guild_id].unavailable = True
        await self.gateway.broadcast(
            guild_id, "GUILD_DELETE", {"id": str(guild_id), "unavailable": True}
        )

    async def delete_channel(self, channel_id: int) -> None:
        """The channel disappears: REST on it answers 404 10003, clients get CHANNEL_DELETE."""
        guild, channel = self.channel(channel_id)
        self.deleted_channels.add(channel_id)
        if guild is not None and channel is not None:
            guild.channels.remove(channel)
            await self.gateway.broadcast(
                guild.id, "CHANNEL_DELETE", payloads.channel(channel, guild.id)
            )

    def inject(
        self,
        method: str,
        pattern: str,
        status: int,
        *,
        times: int = 1,
        code: int | None = None,
        retry_after: float = 0.05,
        via: bool = True,
        is_global: bool = False,
    ) -> Fault:
        """Answer the next `times` requests matching METHOD and an fnmatch path pattern under
        /api/v10 (e.g. "POST", "/channels/*/messages") with `status`: 429 (with Via and a JSON
        retry_after, so discord.py retries), 500, 403 (50013) or 404 (10003) by default."""
        fault = Fault(method.upper(), pattern, status, times, code, retry_after, via, is_global)
        self.faults.add(fault)
        return fault

    async def wait_for(
        self, check: Callable[[], T | None], timeout: float = 5.0, what: str = ""
    ) -> T:
        """Wait until `check()` returns something other than None (re-checked on every record)."""
        return await self.changes.wait_for(check, timeout, what or getattr(check, "__name__", ""))

    async def wait_for_message(
        self,
        channel_id: int,
        timeout: float = 5.0,
        *,
        source: str | None = None,
        predicate: Callable[[SentMessage], bool] | None = None,
    ) -> SentMessage:
        """The next message in the channel that no earlier call returned (a per-channel cursor)."""

        def check() -> SentMessage | None:
            posted = self.messages[channel_id]
            for index in range(self._cursors[channel_id], len(posted)):
                msg = posted[index]
                if (source is None or msg.source == source) and (
                    predicate is None or predicate(msg)
                ):
                    self._cursors[channel_id] = index + 1
                    return msg
            return None

        return await self.wait_for(check, timeout, f"a message in channel {channel_id}")

    async def _wait_for_count(self, items: list[T], n: int, timeout: float, what: str) -> list[T]:
        return await self.wait_for(lambda: items if len(items) >= n else None, timeout, what)

    async def wait_for_command_puts(self, n: int = 1, timeout: float = 5.0) -> list[CommandPut]:
        return await self._wait_for_count(self.command_puts, n, timeout, f"{n} PUTs")

    async def wait_for_resumes(self, n: int = 1, timeout: float = 5.0) -> list[str]:
        return await self._wait_for_count(self.resumes, n, timeout, "RESUME")

    async def wait_for_identifies(self, n: int = 1, timeout: float = 5.0) -> list[IdentifyRecord]:
        return await self._wait_for_count(self.identifies, n, timeout, "IDENTIFY")

    @property
    def missed_deadlines(self) -> list[InteractionHandle]:
        return [h for h in self.interactions.values() if h.missed_deadline]

    # -- state helpers for the route modules ----------------------------------------------------

    def channel(self, channel_id: int) -> tuple[Guild | None, Channel | None]:
        """The guild and channel, (None, None) for a DM channel; 404 10003 when unknown/deleted."""
        if channel_id in self.dm_channels:
            return None, None
        if channel_id not in self.deleted_channels:
            for guild in self.guilds.values():
                found = guild.channel(channel_id)
                if found is not None:
                    return guild, found
        raise unknown(UNKNOWN_CHANNEL, "Channel")

    def permissions_in(self, guild: Guild, channel: Channel, user_id: int) -> int:
        roles = member.roles if (member := guild.member(user_id)) else []
        return channel_permissions(guild, channel, user_id, roles)

    def new_message(
        self,
        channel_id: int,
        payload: dict[str, Any],
        files: list[SentFile],
        source: str,
        *,
        interaction_id: int | None = None,
        may_ping_everyone: bool = True,
    ) -> SentMessage:
        content = payload.get("content") or ""
        msg = SentMessage(
            id=new_snowflake(),
            channel_id=channel_id,
            source=source,
            content=content,
            embeds=list(payload.get("embeds") or []),
            files=files,
            allowed_mentions=payload.get("allowed_mentions"),
            pings=resolve_pings(content, payload.get("allowed_mentions"), may_ping_everyone),
            flags=int(payload.get("flags") or 0),
            components=list(payload.get("components") or []),
            timestamp=payloads.now_iso(),
            application_id=self.application_id if interaction_id is not None else None,
            interaction_id=interaction_id,
            may_ping_everyone=may_ping_everyone,
        )
        self.messages[channel_id].append(msg)
        return msg

    def message_json(self, msg: SentMessage) -> dict[str, Any]:
        return payloads.message(msg, self.bot_user, self.base_url, self.users)

    # -- plumbing --------------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX + "/"):
            return await handler(request)
        path = request.path.removeprefix(API_PREFIX)
        self.requests.append((request.method, path))
        fault = self.faults.take(request.method, path)
        if fault is not None:
            status, body, headers = fault.response()
            return json_response(body, status, headers)
        public = path.startswith(("/interactions/", "/webhooks/")) or path == "/gateway"
        if not public and request.headers.get("Authorization") != f"Bot {self.token}":
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        try:
            return await handler(request)
        except ApiError as err:
            return error_response(err)
        finally:
            self.changes.notify()

    async def _unhandled(self, request: web.Request) -> web.Response:
        self.unhandled.append((request.method, request.path))
        return json_response({"message": "404: Not Found", "code": 0}, 404)

    async def _attachment(self, request: web.Request) -> web.Response:
        file_id = int(request.match_info["file_id"])
        posted = self.messages.get(int(request.match_info["channel_id"]), [])
        found = next((f for msg in posted for f in msg.files if f.id == file_id), None)
        if found is None:
            return json_response({"message": "404: Not Found", "code": 0}, 404)
        kind = found.content_type or "application/octet-stream"
        return web.Response(body=found.data, content_type=kind)

    def __repr__(self) -> str:
        return f"<FakeDiscord {self.base_url} guilds={list(self.guilds)}>"
