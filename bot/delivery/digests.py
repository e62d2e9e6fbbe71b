"""Due digests: claimed in batches, composed once per (feed set, language, translation switch)
per tick, then sent.

A server's digest is made from its own feed set (`feeds_of`, looked up for each batch of claims
in one go; the language and translation switch per server): servers reading the same feeds
share one composition, a server with feeds of its own gets its own, and no server's feeds
reach another server's digest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.delivery import ledger
from bot.delivery.courier import (
    Clock,
    Courier,
    FeedSet,
    FeedsOf,
    Kind,
    LanguageOf,
    StoryRounds,
    TranslateOf,
)
from bot.delivery.ledger import SENDING, SKIPPED, Claim
from bot.delivery.messages import DigestMessage
from bot.delivery.policy import DeliveryReport
from bot.digest.model import Digest
from bot.digest.schedule import latest_slot, next_run
from bot.digest.store import DigestSubscription, disable
from bot.digest.tables import digest_deliveries, digest_subscriptions
from bot.i18n import Language
from bot.shards import Scope
from bot.storage import Database
from bot.storage.bulk import execute_many

log = logging.getLogger(__name__)

# (feed set, language, now, translate) -> digest; translate is the server's switch.
Composer = Callable[[FeedSet, Language, datetime, bool], Awaitable[Digest]]

DIGEST = Kind("digest", digest_deliveries, digest_subscriptions, disable)
_COMPOSE_RETRY = timedelta(minutes=1)
# Hand the event loop back this often while walking many subscriptions or claims.
YIELD_EVERY = 100


class _Tick:
    """One `run_due` call's digests: composed on first need, once per (feed set, language,
    translate)."""

    def __init__(self, compose: Composer, now: datetime, report: DeliveryReport) -> None:
        self._compose = compose
        self._now = now
        self._report = report
        self._tasks: dict[tuple[FeedSet, Language, bool], asyncio.Task[Digest | None]] = {}

    async def _build(self, feeds: FeedSet, language: Language, translate: bool) -> Digest | None:
        try:
            digest = await self._compose(feeds, language, self._now, translate)
        except Exception:
            log.exception("composing the %s digest of feeds %s failed", language, feeds)
            return None
        self._report.composed.append(language)
        return digest

    async def digest(self, feeds: FeedSet, language: Language, translate: bool) -> Digest | None:
        key = (tuple(sorted(feeds)), language, translate)
        if key not in self._tasks:
            self._tasks[key] = asyncio.create_task(self._build(*key))
        return await self._tasks[key]


class DigestRounds(StoryRounds):
    """`run_due`: every digest due now, and those a crash left open."""

    def __init__(
        self,
        db: Database,
        courier: Courier,
        *,
        language_of: LanguageOf,
        feeds_of: FeedsOf,
        scope: Scope | None,
        clock: Clock,
        compose: Composer,
        translate_of: TranslateOf | None = None,
    ) -> None:
        super().__init__(
            db,
            courier,
            language_of=language_of,
            feeds_of=feeds_of,
            scope=scope,
            clock=clock,
            translate_of=translate_of,
        )
        self._compose = compose

    async def run_due(self, now: datetime | None = None) -> DeliveryReport:
        """Claim and send every digest due at `now`, and finish ones a crash left open.

        Due subscriptions are claimed in batches and each batch starts sending before the
        next is read, so no single step of the event loop handles thousands of rows.
        """
        now = now or self._clock()
        report = DeliveryReport()
        tick = _Tick(self._compose, now, report)
        jobs: list[asyncio.Task[None]] = []
        recovered = await self._take_over(DIGEST, now)
        try:
            await self._dispatch(recovered, now, tick, report, jobs)
            after_id = 0
            while True:
                subs = await self._due_batch(now, after_id)
                if not subs:
                    break
                after_id = subs[-1].id
                claims = await self._claim_due(subs, now, report)
                await self._dispatch(claims, now, tick, report, jobs)
                if len(subs) < self.policy.batch:
                    break
            await asyncio.gather(*jobs)
        except BaseException:
            # Shutting down (or failing) mid-tick: stop the sends; their rows stay 'sending'
            # and the next start resolves them through find_sent.
            for job in jobs:
                job.cancel()
            raise
        if jobs or report.skipped:
            log.info(
                "digests: %d sent, %d recovered, %d deferred, %d failed, %d skipped",
                report.sent,
                report.recovered,
                report.deferred,
                report.failed,
                report.skipped,
            )
        return report

    async def _dispatch(
        self,
        claims: list[Claim],
        now: datetime,
        tick: _Tick,
        report: DeliveryReport,
        jobs: list[asyncio.Task[None]],
    ) -> None:
        """Attach each claim's message (composed once per feed set, language and translation
        switch) and start sending it."""
        live = {c.guild_id for c in claims if now - c.run_at <= self.policy.grace}
        feed_sets = await self._feeds_of(live) if live else {}
        for n, claim in enumerate(claims, 1):
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            message = None
            if now - claim.run_at <= self.policy.grace:  # else only resolve what happened
                language = await self._language_of(claim.guild_id)
                translate = await self._translate_of(claim.guild_id)
                composed = await tick.digest(feed_sets[claim.guild_id], language, translate)
                if composed is None:
                    retry_at = now + _COMPOSE_RETRY
                    await self._courier.release(DIGEST, claim, retry_at, "compose failed")
                    report.deferred += 1
                    continue
                day = claim.local_date or composed.day
                message = DigestMessage(
                    dataclasses.replace(composed, day=day),
                    claim.marker,
                    claim.guild_id,
                    claim.subscription_id,
                    day,
                )
            jobs.append(asyncio.create_task(self._courier.deliver(DIGEST, claim, message, report)))

    async def _due_batch(self, now: datetime, after_id: int) -> list[DigestSubscription]:
        t = digest_subscriptions
        query = (
            sa.select(t)
            .where(t.c.enabled.is_(True), t.c.next_run_at <= now, t.c.id > after_id)
            .order_by(t.c.id)
            .limit(self.policy.batch)
        )
        if (scope := self._where(t)) is not None:
            query = query.where(scope)
        async with self._db.connection() as conn:
            rows = (await conn.execute(query)).all()
        return [DigestSubscription.from_row(r) for r in rows]

    async def _claim_due(
        self, subs: list[DigestSubscription], now: datetime, report: DeliveryReport
    ) -> list[Claim]:
        t = digest_subscriptions
        rows, updates = [], []
        for n, sub in enumerate(subs, 1):
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            zone = sub.zone
            updates.append({"sid": sub.id, "next": next_run(sub.local_time, zone, now)})
            slot = latest_slot(sub.local_time, zone, now)
            if slot.run_at < sub.created_at:
                continue  # subscribed after today's time: starts with the next slot
            missed = now - slot.run_at > self.policy.grace
            report.skipped += missed
            rows.append(
                ledger.new_row(
                    subscription_id=sub.id,
                    channel_id=sub.channel_id,
                    idempotency_key=f"digest:{sub.id}:{slot.local_date.isoformat()}",
                    run_at=slot.run_at,
                    now=now,
                    state=SKIPPED if missed else SENDING,
                    local_date=slot.local_date,
                )
            )
        claims = await ledger.claim_new(
            self._db, digest_deliveries, t, rows, now=now, lease=self.policy.lease
        )
        # Only after the claim: losing this update just means re-checking next tick.
        async with self._db.begin() as conn:
            await execute_many(
                conn,
                sa.update(t)
                .where(t.c.id == sa.bindparam("sid"))
                .values(next_run_at=sa.bindparam("next")),
                updates,
            )
        return claims
