"""What the fake saw: messages, command syncs, interaction callbacks; and ways to wait for them."""

# The waiting helpers take `timeout` on purpose: it is the test's patience, not a cancel scope.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from tests.fakediscord.mentions import Pings, resolve_pings

T = TypeVar("T")

LOADING = 1 << 7  # message flag of a deferred ("thinking") response
EPHEMERAL = 1 << 6


def clock() -> float:
    """The interactions' clock: monotonic, in seconds (asyncio's own loop reads the same one;
    uvloop's `loop.time()` is in whole milliseconds)."""
    return time.monotonic()


class DeadlineMissed(AssertionError):
    """No initial response reached the fake before the interaction deadline."""


class Changes:
    """Wakes every waiter whenever a record changes; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, check: Callable[[], T | None], timeout: float, what: str = "") -> T:
        try:
            async with asyncio.timeout(timeout):
                while (result := check()) is None:
                    await self._event.wait()
        except TimeoutError:
            raise TimeoutError(
                f"fake Discord: timed out after {timeout}s waiting for {what}"
            ) from None
        return result


@dataclass
class SentFile:
    id: int
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class SentMessage:
    """A message the bot created; `source` is "channel", "dm", "interaction" or "followup"."""

    id: int
    channel_id: int
    source: str
    content: str
    embeds: list[dict[str, Any]]
    files: list[SentFile]
    allowed_mentions: dict[str, Any] | None
    pings: Pings
    flags: int
    components: list[Any]
    timestamp: str
    application_id: int | None = None
    interaction_id: int | None = None
    edited_timestamp: str | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    embeds_suppressed: bool = False
    may_ping_everyone: bool = True  # whether the sender had Mention Everyone there

    def apply_edit(self, payload: dict[str, Any], files: list[SentFile]) -> None:
        """A PATCH: given fields replace, `attachments` lists which old files stay."""
        self.edits.append(payload)
        if "content" in payload:
            self.content = payload["content"] or ""
        if "embeds" in payload:
            self.embeds = list(payload["embeds"] or [])
        if "components" in payload:
            self.components = list(payload["components"] or [])
        if "allowed_mentions" in payload:
            self.allowed_mentions = payload["allowed_mentions"]
        if "attachments" in payload:
            keep = {str(a.get("id")) for a in payload["attachments"] or []}
            self.files = [f for f in self.files if str(f.id) in keep]
        self.files.extend(files)
        if payload.get("flags") is not None:
            self.flags = int(payload["flags"]) | (self.flags & EPHEMERAL)
        self.flags &= ~LOADING  # an edit ends the "thinking" state
        self.pings = resolve_pings(self.content, self.allowed_mentions, self.may_ping_everyone)
        self.edited_timestamp = datetime.now(UTC).isoformat()

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)


@dataclass
class CallbackRecord:
    """One POST to /interactions/{id}/{token}/callback, accepted (status 200) or refused."""

    interaction_id: int
    type: int
    data: dict[str, Any]
    elapsed_ms: float
    status: int
    code: int | None = None


@dataclass
class CommandPut:
    guild_id: int | None
    commands: list[dict[str, Any]]
    returned: list[dict[str, Any]]


@dataclass
class IdentifyRecord:
    session_id: str
    intents: int
    shard: list[int] | None
    properties: dict[str, Any]


@dataclass
class InteractionHandle:
    """An interaction the test injected and everything the bot did with it."""

    id: int
    token: str
    type: int  # 2 = command, 4 = autocomplete
    name: str
    guild_id: int | None
    channel_id: int
    user_id: int
    payload: dict[str, Any]
    created: float  # clock() when the event was sent (nan before)
    deadline: float
    changes: Changes
    attempts: list[CallbackRecord] = field(default_factory=list)
    target: SentMessage | None = None  # the message a clicked component sits on
    response: CallbackRecord | None = None
    original: SentMessage | None = None
    followups: list[SentMessage] = field(default_factory=list)

    @property
    def missed_deadline(self) -> bool:
        """True when no response was accepted in time (a late one is refused with 10062)."""
        if self.response is not None:
            return False
        return clock() - self.created > self.deadline or any(a.code == 10062 for a in self.attempts)

    @property
    def choices(self) -> list[dict[str, Any]]:
        """The autocomplete choices the bot answered with."""
        if self.response is None or self.response.type != 8:
            raise AssertionError("no autocomplete result recorded")
        return list(self.response.data.get("choices") or [])

    async def wait_response(self, timeout: float | None = None) -> CallbackRecord:
        """The accepted initial response; DeadlineMissed once the deadline passes without one."""
        limit = self.deadline - (clock() - self.created) if timeout is None else timeout
        try:
            return await self.changes.wait_for(lambda: self.response, max(limit, 0.0), "a response")
        except TimeoutError:
            if self.missed_deadline:
                raise DeadlineMissed(
                    f"interaction {self.name!r} got no response within {self.deadline}s "
                    f"(attempts: {[(a.type, a.status, a.code) for a in self.attempts]})"
                ) from None
            raise

    async def wait_final(self, timeout: float = 20.0) -> SentMessage:
        """The reply as the user finally sees it: the message, or the deferred one once edited.

        Discord allows 15 minutes to edit a deferred reply; the generous bound keeps a chart
        rendered on a busy CI machine from failing a test about what the reply says."""
        await self.wait_response(timeout)

        def done() -> SentMessage | None:
            msg = self.original
            return msg if msg is not None and not msg.loading else None

        return await self.changes.wait_for(done, timeout, f"the final reply to {self.name!r}")

    async def wait_followup(self, n: int = 1, timeout: float = 5.0) -> SentMessage:
        """The n-th followup message (1-based)."""

        def found() -> SentMessage | None:
            return self.followups[n - 1] if len(self.followups) >= n else None

        return await self.changes.wait_for(found, timeout, f"followup {n} to {self.name!r}")
