"""Digest and alert subscriptions: subscribe, unsubscribe, list, disable.

A channel holds at most one digest subscription and one alert subscription (unique keys, so
two processes cannot both create one). A subscription the bot disabled (channel deleted,
permission lost) keeps its row and reason until someone subscribes the channel again, which
re-enables it; `/digest list` shows the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.digest.schedule import format_time, next_run, parse_time, parse_zone
from bot.digest.tables import alert_subscriptions, digest_subscriptions
from bot.errors import BadInput
from bot.i18n import N_, _
from bot.labels import permission_label
from bot.storage import Database

log = logging.getLogger(__name__)

# Reason codes stored in `disabled_reason`; `describe_reason` turns them into text.
CHANNEL_GONE = "channel_gone"
MISSING_PERMISSION = "missing_permission:"  # + the permission's snake_case name
FAILING = "failing"
# Paused because the bot was removed from the server; the bot coming back re-enables it
# (bot/guilds/membership.py).
GUILD_REMOVED = "guild_removed"


def missing_permission_reason(permission: str) -> str:
    return MISSING_PERMISSION + permission


def describe_reason(code: str | None) -> str | None:
    """Why a subscription is off, in the current language (None when it is on)."""
    if not code:
        return None
    if code == CHANNEL_GONE:
        return _("the channel was deleted or the bot can no longer see it")
    if code == GUILD_REMOVED:
        return _("the bot was removed from this server")
    if code.startswith(MISSING_PERMISSION):
        permission = permission_label(code.removeprefix(MISSING_PERMISSION))
        return _("the bot lost the %(permission)s permission in this channel") % {
            "permission": permission
        }
    return _("delivery kept failing")


@dataclass(frozen=True, slots=True)
class DigestSubscription:
    id: int
    guild_id: int
    channel_id: int
    local_time: time
    timezone: str
    created_by: int | None
    created_at: datetime
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    next_run_at: datetime

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_row(cls, row: sa.Row) -> DigestSubscription:
        m = row._mapping
        return cls(
            id=m["id"],
            guild_id=m["guild_id"],
            channel_id=m["channel_id"],
            local_time=parse_time(m["local_time"]),
            timezone=m["timezone"],
            created_by=m["created_by"],
            created_at=m["created_at"],
            enabled=bool(m["enabled"]),
            disabled_reason=m["disabled_reason"],
            disabled_at=m["disabled_at"],
            next_run_at=m["next_run_at"],
        )


@dataclass(frozen=True, slots=True)
class DigestListing:
    """One line of `/digest list`: the subscription, its next run in local time, or why not."""

    subscription: DigestSubscription
    next_local: datetime | None  # aware, in the subscription's zone; None while disabled
    reason: str | None  # translated text, None while enabled


@dataclass(frozen=True, slots=True)
class AlertSubscription:
    id: int
    guild_id: int
    channel_id: int
    created_by: int | None
    created_at: datetime
    enabled: bool
    disabled_reason: str | None

    @classmethod
    def from_row(cls, row: sa.Row) -> AlertSubscription:
        m = row._mapping
        return cls(
            id=m["id"],
            guild_id=m["guild_id"],
            channel_id=m["channel_id"],
            created_by=m["created_by"],
            created_at=m["created_at"],
            enabled=bool(m["enabled"]),
            disabled_reason=m["disabled_reason"],
        )


def _digest_duplicate(existing: DigestSubscription) -> BadInput:
    return BadInput(
        N_(
            "<#%(channel)s> already gets the daily digest at %(time)s (%(zone)s). "
            "Unsubscribe it first to change the time."
        ),
        channel=existing.channel_id,
        time=format_time(existing.local_time),
        zone=existing.timezone,
    )


async def get_subscription(
    db: Database, *, guild_id: int, channel_id: int
) -> DigestSubscription | None:
    t = digest_subscriptions
    async with db.connection() as conn:
        row = (
            await conn.execute(
                sa.select(t).where(t.c.guild_id == guild_id, t.c.channel_id == channel_id)
            )
        ).first()
    return DigestSubscription.from_row(row) if row else None


async def subscribe(
    db: Database,
    *,
    guild_id: int,
    channel_id: int,
    local_time: str | time,
    timezone: str,
    created_by: int | None,
    now: datetime,
) -> DigestSubscription:
    """Subscribe a channel; BadInput for a bad time or zone or an active duplicate.

    A subscription the bot disabled is re-enabled with the new time and zone.
    """
    when = parse_time(local_time) if isinstance(local_time, str) else local_time
    zone = parse_zone(timezone)
    values = {
        "local_time": format_time(when),
        "timezone": zone.key,
        "created_by": created_by,
        "created_at": now,
        "enabled": True,
        "disabled_reason": None,
        "disabled_at": None,
        "next_run_at": next_run(when, zone, now),
    }
    t = digest_subscriptions
    existing = await get_subscription(db, guild_id=guild_id, channel_id=channel_id)
    if existing is not None and existing.enabled:
        raise _digest_duplicate(existing)
    try:
        async with db.begin() as conn:
            if existing is None:
                await conn.execute(
                    sa.insert(t).values(guild_id=guild_id, channel_id=channel_id, **values)
                )
            else:
                # Only a still-disabled row is revived, so a concurrent re-subscribe loses.
                done = await conn.execute(
                    sa.update(t).where(t.c.id == existing.id, t.c.enabled.is_(False)).values(values)
                )
                if done.rowcount != 1:
                    raise IntegrityError("re-enable raced", None, Exception())
    except IntegrityError:
        winner = await get_subscription(db, guild_id=guild_id, channel_id=channel_id)
        if winner is not None:
            raise _digest_duplicate(winner) from None
        raise
    created = await get_subscription(db, guild_id=guild_id, channel_id=channel_id)
    assert created is not None
    log.info(
        "digest subscription %s: guild %s channel %s at %s %s",
        created.id,
        guild_id,
        channel_id,
        values["local_time"],
        zone.key,
    )
    return created


async def unsubscribe(db: Database, *, guild_id: int, channel_id: int) -> None:
    """Remove a channel's digest (its delivery history goes with it); BadInput if none."""
    t = digest_subscriptions
    async with db.begin() as conn:
        result = await conn.execute(
            sa.delete(t).where(t.c.guild_id == guild_id, t.c.channel_id == channel_id)
        )
    if result.rowcount == 0:
        raise BadInput(N_("<#%(channel)s> does not get the daily digest."), channel=channel_id)


async def list_subscriptions(db: Database, guild_id: int, now: datetime) -> list[DigestListing]:
    """A server's digests with their next delivery in local time, or why they are off."""
    t = digest_subscriptions
    async with db.connection() as conn:
        rows = (
            await conn.execute(sa.select(t).where(t.c.guild_id == guild_id).order_by(t.c.id))
        ).all()
    listings = []
    for row in rows:
        sub = DigestSubscription.from_row(row)
        if sub.enabled:
            upcoming = next_run(sub.local_time, sub.zone, now).astimezone(sub.zone)
            listings.append(DigestListing(sub, upcoming, None))
        else:
            listings.append(DigestListing(sub, None, describe_reason(sub.disabled_reason)))
    return listings


async def disable(db: Database, subscription_id: int, reason: str, now: datetime) -> None:
    t = digest_subscriptions
    async with db.begin() as conn:
        await conn.execute(
            sa.update(t)
            .where(t.c.id == subscription_id)
            .values(enabled=False, disabled_reason=reason, disabled_at=now)
        )
    log.warning("digest subscription %s disabled: %s", subscription_id, reason)


# --- alerts -------------------------------------------------------------------------------


async def _get_alert(db: Database, channel_id: int) -> AlertSubscription | None:
    t = alert_subscriptions
    async with db.connection() as conn:
        row = (await conn.execute(sa.select(t).where(t.c.channel_id == channel_id))).first()
    return AlertSubscription.from_row(row) if row else None


def _alert_duplicate(channel_id: int) -> BadInput:
    return BadInput(N_("<#%(channel)s> already gets breakout alerts."), channel=channel_id)


async def subscribe_alerts(
    db: Database, *, guild_id: int, channel_id: int, created_by: int | None, now: datetime
) -> AlertSubscription:
    """Subscribe a channel to breakout alerts; BadInput if it already gets them."""
    t = alert_subscriptions
    existing = await _get_alert(db, channel_id)
    if existing is not None and existing.enabled:
        raise _alert_duplicate(channel_id)
    values = {
        "guild_id": guild_id,
        "created_by": created_by,
        "created_at": now,
        "enabled": True,
        "disabled_reason": None,
        "disabled_at": None,
    }
    try:
        async with db.begin() as conn:
            if existing is None:
                await conn.execute(sa.insert(t).values(channel_id=channel_id, **values))
            else:
                await conn.execute(
                    sa.update(t).where(t.c.id == existing.id, t.c.enabled.is_(False)).values(values)
                )
    except IntegrityError:
        raise _alert_duplicate(channel_id) from None
    created = await _get_alert(db, channel_id)
    assert created is not None
    return created


async def unsubscribe_alerts(db: Database, *, guild_id: int, channel_id: int) -> None:
    t = alert_subscriptions
    async with db.begin() as conn:
        result = await conn.execute(
            sa.delete(t).where(t.c.guild_id == guild_id, t.c.channel_id == channel_id)
        )
    if result.rowcount == 0:
        raise BadInput(N_("<#%(channel)s> does not get breakout alerts."), channel=channel_id)


async def list_alerts(db: Database, guild_id: int) -> list[AlertSubscription]:
    t = alert_subscriptions
    async with db.connection() as conn:
        rows = (
            await conn.execute(sa.select(t).where(t.c.guild_id == guild_id).order_by(t.c.id))
        ).all()
    return [AlertSubscription.from_row(r) for r in rows]


async def disable_alerts(db: Database, subscription_id: int, reason: str, now: datetime) -> None:
    t = alert_subscriptions
    async with db.begin() as conn:
        await conn.execute(
            sa.update(t)
            .where(t.c.id == subscription_id)
            .values(enabled=False, disabled_reason=reason, disabled_at=now)
        )
    log.warning("alert subscription %s disabled: %s", subscription_id, reason)
