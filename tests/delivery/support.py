"""What the delivery tests script: a sender that fails on cue, a crash the engine cannot
swallow, a subscription, and the ledger's rows."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bot.delivery.memory import MemorySender
from bot.delivery.messages import AlertMessage, DigestMessage
from bot.digest import store
from bot.digest.tables import digest_deliveries
from bot.storage import Database
from tests.digest.conftest import Clock


class Crash(BaseException):
    """The process dies here."""


class FlakySender:
    """Wraps the in-memory Discord and fails in scripted ways."""

    def __init__(self, inner: MemorySender) -> None:
        self.inner = inner
        self.before_post: list[BaseException] = []  # raised (in order) instead of posting
        self.crash_after_post = False

    async def send(
        self, channel_id: int, message: DigestMessage | AlertMessage, *, nonce: str
    ) -> int:
        if self.before_post:
            raise self.before_post.pop(0)
        message_id = await self.inner.send(channel_id, message, nonce=nonce)
        if self.crash_after_post:
            raise Crash
        return message_id

    async def find_sent(
        self, channel_id: int, nonce: str, marker: str, after: datetime
    ) -> int | None:
        return await self.inner.find_sent(channel_id, nonce, marker, after)


async def subscribe(
    db: Database, clock: Clock, channel: int, at: str = "08:00", guild: int = 1
) -> store.DigestSubscription:
    return await store.subscribe(
        db,
        guild_id=guild,
        channel_id=channel,
        local_time=at,
        timezone="Europe/Amsterdam",
        created_by=None,
        now=clock(),
    )


async def rows(db: Database) -> list[sa.Row]:
    async with db.connection() as conn:
        return list(
            (
                await conn.execute(sa.select(digest_deliveries).order_by(digest_deliveries.c.id))
            ).all()
        )


DUE = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Amsterdam
