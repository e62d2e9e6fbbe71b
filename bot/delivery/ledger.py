"""The delivery rows: claim, take over, and settle, shared by digests and alerts.

Every write that decides who sends is a single conditional statement, portable to
PostgreSQL and safe with several processes:

- a new claim is an INSERT that skips conflicts on the unique keys; the rows carrying this
  call's random `claim_token` afterwards are the ones this process won;
- a take-over is an UPDATE of rows whose lease expired, again stamped with a fresh token;
- settling (`sent`, `pending`, `failed`, `skipped`) only applies while the row still holds
  our token, so a process whose lease lapsed cannot overwrite its successor.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.storage import Database
from bot.storage.bulk import execute_many

SENDING = "sending"  # claimed: a process holds the lease and may have posted
PENDING = "pending"  # a send failed retryably; eligible again once `lease_until` passes
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
OPEN_STATES = (SENDING, PENDING)

NONCE_LENGTH = 25  # Discord accepts nonces up to 25 characters
MARKER_LENGTH = 10


def nonce_for(idempotency_key: str) -> str:
    """The Discord nonce for a delivery: derived from its key, so every retry reuses it."""
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:NONCE_LENGTH]


def marker_for(nonce: str) -> str:
    """The short reference shown in the footer, which `find_sent` searches for."""
    return nonce[:MARKER_LENGTH]


def new_token() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery row this process currently holds."""

    id: int
    subscription_id: int
    guild_id: int
    channel_id: int
    idempotency_key: str
    nonce: str
    token: str
    attempts: int
    run_at: datetime
    created_at: datetime
    last_error: str | None
    fresh: bool  # inserted just now: nothing can have been posted yet
    local_date: date | None = None
    event_key: str | None = None

    @property
    def marker(self) -> str:
        return marker_for(self.nonce)


def new_row(
    *,
    subscription_id: int,
    channel_id: int,
    idempotency_key: str,
    run_at: datetime,
    now: datetime,
    state: str = SENDING,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id,
        "channel_id": channel_id,
        "idempotency_key": idempotency_key,
        "nonce": nonce_for(idempotency_key),
        "state": state,
        "attempts": 1 if state == SENDING else 0,
        "run_at": run_at,
        "created_at": now,
        "updated_at": now,
        **extra,
    }


def _claims(rows: Sequence[Any], *, fresh: bool) -> list[Claim]:
    out = []
    for row in rows:
        m = row._mapping
        out.append(
            Claim(
                id=m["id"],
                subscription_id=m["subscription_id"],
                guild_id=m["guild_id"],
                channel_id=m["channel_id"],
                idempotency_key=m["idempotency_key"],
                nonce=m["nonce"],
                token=m["claim_token"],
                attempts=m["attempts"],
                run_at=m["run_at"],
                created_at=m["created_at"],
                last_error=m["last_error"],
                fresh=fresh,
                local_date=m.get("local_date"),
                event_key=m.get("event_key"),
            )
        )
    return out


async def _held(db: Database, table: sa.Table, subs: sa.Table, token: str) -> Sequence[Any]:
    query = (
        sa.select(table, subs.c.guild_id)
        .join(subs, subs.c.id == table.c.subscription_id)
        .where(table.c.claim_token == token, table.c.state == SENDING)
        .order_by(table.c.id)
    )
    async with db.connection() as conn:
        return (await conn.execute(query)).all()


async def claim_new(
    db: Database,
    table: sa.Table,
    subs: sa.Table,
    rows: list[dict[str, Any]],
    *,
    now: datetime,
    lease: timedelta,
) -> list[Claim]:
    """Insert delivery rows, skipping any that exist; return the ones this call created.

    Rows given with state 'skipped' are recorded (a missed day) but never returned.
    """
    if not rows:
        return []
    token = new_token()
    for row in rows:
        mine = row["state"] == SENDING
        # Every row names the same columns: one executemany statement.
        row.update(claim_token=token if mine else None, lease_until=now + lease if mine else None)
    async with db.begin() as conn:
        await execute_many(conn, db.insert_ignore(table), rows)
    return _claims(await _held(db, table, subs, token), fresh=True)


async def take_over(
    db: Database,
    table: sa.Table,
    subs: sa.Table,
    *,
    now: datetime,
    lease: timedelta,
    scope: sa.ColumnElement[bool] | None = None,
) -> list[Claim]:
    """Claim open rows whose lease ran out (their process died or asked for a retry later).

    Only rows of enabled subscriptions: a paused one (its server removed the bot) or one
    unsubscribed meanwhile keeps its open row untouched, to resume if it is switched on again.
    """
    token = new_token()
    enabled = sa.select(subs.c.id).where(subs.c.enabled.is_(True))
    stmt = (
        sa.update(table)
        .where(
            table.c.state.in_(OPEN_STATES),
            table.c.lease_until <= now,
            table.c.subscription_id.in_(enabled),
        )
        .values(
            state=SENDING,
            claim_token=token,
            lease_until=now + lease,
            attempts=table.c.attempts + 1,
            updated_at=now,
        )
    )
    if scope is not None:
        stmt = stmt.where(table.c.subscription_id.in_(sa.select(subs.c.id).where(scope)))
    async with db.begin() as conn:
        result = await conn.execute(stmt)
    if result.rowcount == 0:
        return []
    return _claims(await _held(db, table, subs, token), fresh=False)


async def _settle(db: Database, table: sa.Table, claim: Claim, **values: Any) -> bool:
    stmt = (
        sa.update(table)
        .where(table.c.id == claim.id, table.c.claim_token == claim.token)
        .values(**values)
    )
    async with db.begin() as conn:
        result = await conn.execute(stmt)
    return bool(result.rowcount == 1)


async def mark_sent(
    db: Database, table: sa.Table, claim: Claim, message_id: int, *, attempts: int, now: datetime
) -> bool:
    return await _settle(
        db,
        table,
        claim,
        state=SENT,
        message_id=message_id,
        attempts=attempts,
        sent_at=now,
        updated_at=now,
        lease_until=None,
    )


async def release(
    db: Database,
    table: sa.Table,
    claim: Claim,
    *,
    retry_at: datetime,
    attempts: int,
    error: str,
    now: datetime,
) -> bool:
    """Give the row back as 'pending' until `retry_at`; the next tick takes it over."""
    return await _settle(
        db,
        table,
        claim,
        state=PENDING,
        attempts=attempts,
        lease_until=retry_at,
        last_error=error[:500],
        updated_at=now,
    )


async def finish(
    db: Database,
    table: sa.Table,
    claim: Claim,
    state: str,
    *,
    attempts: int,
    error: str | None,
    now: datetime,
) -> bool:
    """Close the row for good: 'failed' or 'skipped'."""
    values: dict[str, Any] = {
        "state": state,
        "attempts": attempts,
        "lease_until": None,
        "updated_at": now,
    }
    if error is not None:
        values["last_error"] = error[:500]
    return await _settle(db, table, claim, **values)
