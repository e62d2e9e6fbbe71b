"""Alerts: each recent signal event posted once in every subscribed channel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from bot.delivery import ledger
from bot.delivery.courier import Kind, Rounds
from bot.delivery.ledger import Claim
from bot.delivery.messages import AlertEvent, AlertMessage
from bot.delivery.policy import DeliveryReport
from bot.digest.store import disable_alerts
from bot.digest.tables import alert_deliveries, alert_subscriptions

log = logging.getLogger(__name__)

ALERT = Kind("alert", alert_deliveries, alert_subscriptions, disable_alerts)


class AlertRounds(Rounds):
    """`deliver_alerts`: post each event younger than the alert window, once per channel."""

    async def deliver_alerts(
        self, events: Iterable[AlertEvent], now: datetime | None = None
    ) -> DeliveryReport:
        """Post each recent event once in every subscribed channel."""
        now = now or self._clock()
        report = DeliveryReport()
        recent = {e.key: e for e in events if now - e.at <= self.policy.alert_window}
        recovered = await self._take_over(ALERT, now)
        claims = recovered + await self._claim_alerts(recent, now)
        jobs = []
        for claim in claims:
            event = recent.get(claim.event_key or "")
            message = None
            if event is not None:
                message = AlertMessage(
                    event,
                    await self._language_of(claim.guild_id),
                    claim.marker,
                    claim.guild_id,
                    claim.subscription_id,
                )
            jobs.append(self._courier.deliver(ALERT, claim, message, report))
        await asyncio.gather(*jobs)
        if claims:
            log.info("alerts: %d sent, %d recovered", report.sent, report.recovered)
        return report

    async def _claim_alerts(self, recent: dict[str, AlertEvent], now: datetime) -> list[Claim]:
        if not recent:
            return []
        s, d = alert_subscriptions, alert_deliveries
        query = sa.select(s.c.id, s.c.channel_id).where(s.c.enabled.is_(True))
        if (scope := self._where(s)) is not None:
            query = query.where(scope)
        done_query = sa.select(d.c.event_key, d.c.channel_id).where(d.c.event_key.in_(list(recent)))
        async with self._db.connection() as conn:
            subs = (await conn.execute(query)).all()
            done = {(k, c) for k, c in await conn.execute(done_query)}
        rows = [
            ledger.new_row(
                subscription_id=sub.id,
                channel_id=sub.channel_id,
                idempotency_key=f"alert:{event.key}:{sub.channel_id}",
                run_at=event.at,
                now=now,
                event_key=event.key,
            )
            for event in recent.values()
            for sub in subs
            if (event.key, sub.channel_id) not in done
        ]
        return await ledger.claim_new(self._db, d, s, rows, now=now, lease=self.policy.lease)
