"""The websocket gateway: HELLO, heartbeats, IDENTIFY/READY/GUILD_CREATE, RESUME, op 7.

Events go out as text JSON frames (discord.py inflates only binary frames, so the
`compress=zlib-stream` it asks for can be ignored). Each session keeps a backlog so a RESUME
replays what was sent while the client was away, as Discord does.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from tests.fakediscord import payloads
from tests.fakediscord.model import Guild, shard_of
from tests.fakediscord.records import IdentifyRecord
from tests.fakediscord.responses import dumps, loads

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, RECONNECT = 0, 1, 2, 3, 6, 7
INVALID_SESSION, HELLO, HEARTBEAT_ACK = 9, 10, 11
GUILD_MEMBERS_INTENT = 1 << 1
PRIVILEGED_INTENTS = GUILD_MEMBERS_INTENT | (1 << 8) | (1 << 15)


@dataclass
class Session:
    id: str
    shard: list[int] | None
    intents: int
    ws: web.WebSocketResponse | None
    seq: int = 0
    backlog: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=2000))

    def receives(self, guild_id: int | None) -> bool:
        if self.shard is None or guild_id is None:
            return self.shard is None or self.shard[0] == 0
        return shard_of(guild_id, self.shard[1]) == self.shard[0]

    @property
    def connected(self) -> bool:
        return self.ws is not None and not self.ws.closed


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self.sockets: set[web.WebSocketResponse] = set()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.sockets.add(ws)
        session: Session | None = None
        try:
            interval = self.fake.heartbeat_interval_ms
            await ws.send_str(dumps({"op": HELLO, "d": {"heartbeat_interval": interval}}))
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = loads(msg.data)
                op, data = frame.get("op"), frame.get("d")
                if op == HEARTBEAT:
                    await ws.send_str(dumps({"op": HEARTBEAT_ACK}))
                elif op == IDENTIFY:
                    session = await self._identify(ws, data)
                elif op == RESUME:
                    session = await self._resume(ws, data)
                elif op == PRESENCE:
                    self.fake.presence_updates.append(data)
                else:
                    self.fake.unhandled.append(("GATEWAY", f"op {op}"))
        finally:
            self.sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        fake = self.fake
        if data.get("token", "").removeprefix("Bot ") != fake.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS and not fake.privileged_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = data.get("shard")
        if shard is not None and not 0 <= shard[0] < shard[1]:
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        session = Session(uuid.uuid4().hex, shard, intents, ws)
        self.sessions[session.id] = session
        fake.identifies.append(
            IdentifyRecord(session.id, intents, shard, data.get("properties", {}))
        )
        guilds = [g for g in fake.guilds.values() if session.receives(g.id)]
        ready = payloads.ready(
            fake.bot_user,
            fake.application_id,
            session.id,
            fake.gateway_url,
            [g.id for g in guilds],
            shard,
        )
        await self.dispatch(session, "READY", ready)
        for guild in guilds:
            if not guild.unavailable:
                await self.send_guild(session, guild)
        fake.changes.notify()
        return session

    async def send_guild(self, session: Session, guild: Guild, joined: bool = False) -> None:
        """GUILD_CREATE; without the members intent Discord includes only the bot's member."""
        members = guild.members
        if not session.intents & GUILD_MEMBERS_INTENT:
            members = [m for m in members if m.user.id == self.fake.bot_user.id]
        await self.dispatch(session, "GUILD_CREATE", payloads.guild_create(guild, members, joined))

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token", "").removeprefix("Bot ") != self.fake.token:
            await ws.send_str(dumps({"op": INVALID_SESSION, "d": False}))
            return None
        session.ws = ws
        missed = [text for seq, text in session.backlog if seq > (data.get("seq") or 0)]
        for text in missed:
            await ws.send_str(text)
        await self.dispatch(session, "RESUMED", {"_trace": ["fake-discord"]})
        self.fake.resumes.append(session.id)
        self.fake.changes.notify()
        return session

    async def dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        await self.dispatch_encoded(session, event, dumps(data))

    async def dispatch_encoded(self, session: Session, event: str, data: str) -> None:
        """Send an event whose `d` is already JSON text (the frame is put together around it)."""
        session.seq += 1
        text = f'{{"op":{DISPATCH},"t":{dumps(event)},"s":{session.seq},"d":{data}}}'
        session.backlog.append((session.seq, text))
        if session.ws is not None and not session.ws.closed:
            try:
                await session.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                log.debug("session %s went away; event %s kept for RESUME", session.id, event)

    def session_for(self, guild_id: int | None) -> Session:
        """The live session Discord would deliver this guild's events to (latest first)."""
        candidates = [s for s in reversed(self.sessions.values()) if s.receives(guild_id)]
        if not candidates:
            raise RuntimeError(f"fake Discord: no gateway session receives guild {guild_id}")
        return next((s for s in candidates if s.connected), candidates[0])

    async def broadcast(self, guild_id: int, event: str, data: dict[str, Any]) -> None:
        for session in list(self.sessions.values()):
            if session.receives(guild_id) and session.connected:
                await self.dispatch(session, event, data)

    async def announce_guild(self, guild: Guild) -> None:
        for session in list(self.sessions.values()):
            if session.receives(guild.id) and session.connected:
                await self.send_guild(session, guild, joined=True)

    async def request_reconnect(self, shard_id: int | None = None) -> int:
        sent = 0
        for session in list(self.sessions.values()):
            if session.ws is None or session.ws.closed:
                continue
            if shard_id is not None and (session.shard or [0])[0] != shard_id:
                continue
            await session.ws.send_str(dumps({"op": RECONNECT, "d": None}))
            sent += 1
        return sent

    async def close(self) -> None:
        for ws in list(self.sockets):
            await ws.close(code=1001, message=b"fake Discord shutting down")
