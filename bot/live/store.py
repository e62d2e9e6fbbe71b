"""Live subscriptions: subscribe, unsubscribe, list, disable.

A channel holds at most one live subscription (a unique key, so two processes cannot both
create one). One the bot disabled (channel deleted, permission lost) keeps its row and reason
until someone subscribes the channel again; `/live list` shows the reason and the last post.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.digest.store import describe_reason
from bot.errors import BadInput
from bot.i18n import N_
from bot.live.tables import live_deliveries, live_subscriptions
from bot.news.coins import parse_coin
from bot.storage import Database
from bot.storage.types import UTCDateTime

log = logging.getLogger(__name__)

LANGUAGES = ("en", "nl")
SENT = "sent"  # the delivery state bot.delivery.ledger records for a post
MAX_SOURCES = 5


@dataclass(frozen=True, slots=True)
class LiveSubscription:
    id: int
    guild_id: int
    channel_id: int
    coin: str | None
    language: str | None
    min_sources: int
    since_article_id: int
    created_by: int | None
    created_at: datetime
    enabled: bool
    disabled_reason: str | None

    @classmethod
    def from_row(cls, row: sa.Row) -> LiveSubscription:
        m = row._mapping
        return cls(
            id=m["id"],
            guild_id=m["guild_id"],
            channel_id=m["channel_id"],
            coin=m["coin"],
            language=m["language"],
            min_sources=m["min_sources"],
            since_article_id=m["since_article_id"],
            created_by=m["created_by"],
            created_at=m["created_at"],
            enabled=bool(m["enabled"]),
            disabled_reason=m["disabled_reason"],
        )


@dataclass(frozen=True, slots=True)
class LiveListing:
    """One line of `/live list`."""

    subscription: LiveSubscription
    last_post_at: datetime | None
    reason: str | None  # translated; None while enabled


@dataclass(frozen=True, slots=True)
class LiveFilters:
    coin: str | None = None
    language: str | None = None  # None: any
    min_sources: int = 1


def check_filters(coin: str | None, language: str | None, min_sources: int | None) -> LiveFilters:
    """The options of /live subscribe, checked; BadInput names what is wrong."""
    ticker = parse_coin(coin.strip() if coin else None)
    lang = None if language in (None, "", "any") else language
    if lang is not None and lang not in LANGUAGES:
        raise BadInput(N_("Language must be any, en or nl."))
    sources = 1 if min_sources is None else min_sources
    if not 1 <= sources <= MAX_SOURCES:
        raise BadInput(N_("Minimum sources must be between 1 and %(max)d."), max=MAX_SOURCES)
    return LiveFilters(ticker, lang, sources)


async def get_subscription(db: Database, channel_id: int) -> LiveSubscription | None:
    t = live_subscriptions
    async with db.connection() as conn:
        row = (await conn.execute(sa.select(t).where(t.c.channel_id == channel_id))).first()
    return LiveSubscription.from_row(row) if row else None


def _duplicate(channel_id: int) -> BadInput:
    return BadInput(
        N_("<#%(channel)s> already gets live news. Unsubscribe it first to change the filters."),
        channel=channel_id,
    )


async def subscribe(
    db: Database,
    *,
    guild_id: int,
    channel_id: int,
    filters: LiveFilters,
    since_article_id: int,
    created_by: int | None,
    now: datetime,
) -> LiveSubscription:
    """Subscribe a channel; BadInput if it already gets live news. A subscription the bot
    disabled is switched on again with the new filters (and no backlog)."""
    t = live_subscriptions
    existing = await get_subscription(db, channel_id)
    if existing is not None and existing.enabled:
        raise _duplicate(channel_id)
    values = {
        "guild_id": guild_id,
        "coin": filters.coin,
        "language": filters.language,
        "min_sources": filters.min_sources,
        "since_article_id": since_article_id,
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
                done = await conn.execute(
                    sa.update(t).where(t.c.id == existing.id, t.c.enabled.is_(False)).values(values)
                )
                if done.rowcount != 1:
                    raise IntegrityError("re-enable raced", None, Exception())
    except IntegrityError:
        raise _duplicate(channel_id) from None
    created = await get_subscription(db, channel_id)
    assert created is not None
    log.info("live subscription %s: guild %s channel %s", created.id, guild_id, channel_id)
    return created


async def unsubscribe(db: Database, *, guild_id: int, channel_id: int) -> None:
    """Remove a channel's live news (its delivery history goes with it); BadInput if none."""
    t = live_subscriptions
    async with db.begin() as conn:
        result = await conn.execute(
            sa.delete(t).where(t.c.guild_id == guild_id, t.c.channel_id == channel_id)
        )
    if result.rowcount == 0:
        raise BadInput(N_("<#%(channel)s> does not get live news."), channel=channel_id)


async def list_subscriptions(db: Database, guild_id: int) -> list[LiveListing]:
    """A server's live channels with their last post, or why they stopped."""
    t, d = live_subscriptions, live_deliveries
    last = (
        sa.select(sa.func.max(d.c.sent_at))
        .where(d.c.subscription_id == t.c.id, d.c.state == SENT)
        .scalar_subquery()
    )
    async with db.connection() as conn:
        rows = (
            await conn.execute(
                sa.select(t, last.label("last_post_at"))
                .where(t.c.guild_id == guild_id)
                .order_by(t.c.id)
            )
        ).all()
    out = []
    for row in rows:
        sub = LiveSubscription.from_row(row)
        # An aggregate loses the column type on SQLite: restore the UTC datetime.
        at = UTCDateTime().process_result_value(row.last_post_at, db.engine.dialect)
        out.append(
            LiveListing(sub, at, None if sub.enabled else describe_reason(sub.disabled_reason))
        )
    return out


async def disable(db: Database, subscription_id: int, reason: str, now: datetime) -> None:
    t = live_subscriptions
    async with db.begin() as conn:
        await conn.execute(
            sa.update(t)
            .where(t.c.id == subscription_id)
            .values(enabled=False, disabled_reason=reason, disabled_at=now)
        )
    log.warning("live subscription %s disabled: %s", subscription_id, reason)
