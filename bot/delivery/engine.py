"""The exactly-once delivery engine for digests and alerts.

Each digest (subscription, local date) and each alert (event, channel) has one delivery row,
created by the claim. The order of steps, and what a restart finds after a crash at each:

1. claim: INSERT the row in state 'sending', with a nonce derived from its idempotency key
   and a lease. Crash before it: no row; the next tick claims it (inside the grace window).
2. send with that nonce (Discord's `enforce_nonce` turns a repeat within its window into the
   original message) and the marker in the footer. Crash before the send finishes: the row
   stays 'sending'; once its lease expires a fresh engine takes it over.
3. record 'sent' with the message id. Crash between send and record: the take-over asks
   `find_sent` (nonce / footer marker in the channel's recent history) first and records the
   message it finds instead of posting again; only when nothing is found does it resend,
   with the same nonce, and only inside the grace window (else the row becomes 'skipped').
4. after the record nothing is left to do: a 'sent' row is never touched again.

429/5xx are retried in-process with exponential backoff while the lease lasts, then handed
back as 'pending' for a later tick; attempts are bounded. A deleted channel or a lost
permission disables the subscription with the reason. Deliveries due together go out
concurrently under a semaphore; the digest is composed once per (feed set, language) per tick,
each server's from its own feed set (`feeds_of`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime

from bot.delivery.alert_rounds import AlertRounds
from bot.delivery.courier import (
    Clock,
    Courier,
    FeedSet,
    FeedsOf,
    LanguageOf,
    Sleep,
    TranslateOf,
    utcnow,
)
from bot.delivery.digests import Composer, DigestRounds
from bot.delivery.ledger import SENDING
from bot.delivery.live_rounds import LiveLimits, LiveRounds
from bot.delivery.messages import AlertEvent
from bot.delivery.policy import DeliveryPolicy, DeliveryReport
from bot.delivery.sender import Sender
from bot.shards import Scope
from bot.storage import Database


class DeliveryEngine:
    """Runs due digests (`run_due`, every ~30 s), alerts (`deliver_alerts`) and live posts
    (`deliver_live`, every ~10 s; bot/delivery/live_rounds.py)."""

    def __init__(
        self,
        db: Database,
        sender: Sender,
        compose: Composer,
        *,
        language_of: LanguageOf,
        feeds_of: FeedsOf,
        policy: DeliveryPolicy | None = None,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
        scope: Scope | None = None,
        translate_of: TranslateOf | None = None,
        live: LiveLimits | None = None,
    ) -> None:
        self._db = db
        self.policy = policy or DeliveryPolicy()
        self.sender = sender
        self.clock = clock  # replaceable at run time (tests jump the engine ahead of real time)
        now = self._now
        courier = Courier(db, sender, self.policy, clock=now, sleep=sleep)
        self._digests = DigestRounds(
            db,
            courier,
            language_of=language_of,
            feeds_of=feeds_of,
            scope=scope,
            clock=now,
            compose=compose,
            translate_of=translate_of,  # each server's translation switch; None: all on
        )
        self._alerts = AlertRounds(db, courier, language_of=language_of, scope=scope, clock=now)
        self._live = LiveRounds(
            db,
            courier,
            language_of=language_of,
            feeds_of=feeds_of,
            scope=scope,
            clock=now,
            limits=live or LiveLimits(),
            translate_of=translate_of,
        )

    def _now(self) -> datetime:
        return self.clock()

    @property
    def db(self) -> Database:
        return self._db

    async def run_due(self, now: datetime | None = None) -> DeliveryReport:
        return await self._digests.run_due(now)

    async def deliver_alerts(
        self, events: Iterable[AlertEvent], now: datetime | None = None
    ) -> DeliveryReport:
        return await self._alerts.deliver_alerts(events, now)

    async def deliver_live(self, now: datetime | None = None) -> DeliveryReport:
        """New stories to live channels (scans only when the store changed)."""
        return await self._live.deliver_live(now)


__all__ = [
    "SENDING",
    "AlertEvent",
    "Composer",
    "DeliveryEngine",
    "DeliveryPolicy",
    "DeliveryReport",
    "FeedSet",
    "FeedsOf",
    "LanguageOf",
    "LiveLimits",
    "TranslateOf",
]
