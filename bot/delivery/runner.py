"""Wiring for the bot: build the engine from settings, and the loop the digest cog runs.

Start `delivery_loop` in the cog's `cog_load` (asyncio.create_task) and cancel it in
`cog_unload`; never in `on_ready`. Cancelling mid-send is safe: rows stay 'sending' and the
next start resolves them (see delivery.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime

from bot.compose.digest import DigestComposer
from bot.config import Settings
from bot.delivery.alerts import recent_alert_events
from bot.delivery.engine import (
    DeliveryEngine,
    DeliveryPolicy,
    FeedSet,
    LanguageOf,
    LiveLimits,
    TranslateOf,
)
from bot.delivery.messages import AlertEvent
from bot.delivery.sender import Sender
from bot.guilds.feeds import feed_sets
from bot.shards import Scope
from bot.storage import Database

log = logging.getLogger(__name__)

AlertSource = Callable[[], Awaitable[list[AlertEvent]]]


def build_engine(
    db: Database,
    settings: Settings,
    sender: Sender,
    *,
    language_of: LanguageOf,
    scope: Scope | None = None,
    translate_of: TranslateOf | None = None,
) -> tuple[DeliveryEngine, DigestComposer]:
    """The engine and its composer (which also serves the signal report to alerts); each
    server's digest is composed from its own feed set (`feed_sets`, read fresh per batch)."""
    composer = DigestComposer(db, settings)

    async def feeds_of(guild_ids: Collection[int]) -> dict[int, FeedSet]:
        return await feed_sets(db, guild_ids)

    engine = DeliveryEngine(
        db,
        sender,
        composer,
        language_of=language_of,
        feeds_of=feeds_of,
        policy=DeliveryPolicy.from_settings(settings),
        scope=scope,
        translate_of=translate_of,
        live=LiveLimits.from_settings(settings),
    )
    return engine, composer


async def stored_alert_events(db: Database, composer: DigestComposer) -> list[AlertEvent]:
    """The market's live signal events, with the sample size every alert must show."""
    report = await composer.signal_report(datetime.now(UTC))
    return await recent_alert_events(
        db, sample_size=report.completed_cases if report is not None else None
    )


async def delivery_loop(
    engine: DeliveryEngine,
    composer: DigestComposer,
    *,
    interval: float,
    alerts: AlertSource | None = None,
) -> None:
    """Every `interval` seconds: due digests, then alerts (default: the stored signal events)."""
    while True:
        try:
            await engine.run_due()
            events = await (alerts() if alerts else stored_alert_events(engine.db, composer))
            await engine.deliver_alerts(events)
        except Exception:
            log.exception("digest delivery tick failed; trying again next tick")
        await asyncio.sleep(interval)


async def live_loop(engine: DeliveryEngine, *, interval: float) -> None:
    """Every `interval` seconds: new stories to live channels (a cheap check when none)."""
    while True:
        try:
            await engine.deliver_live()
        except Exception:
            log.exception("live delivery tick failed; trying again next tick")
        await asyncio.sleep(interval)
