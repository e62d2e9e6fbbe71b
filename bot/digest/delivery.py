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
concurrently under a semaphore; the digest is composed once per language per tick.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.config import Settings
from bot.digest import ledger
from bot.digest.ledger import FAILED, SENDING, SKIPPED, Claim
from bot.digest.messages import AlertEvent, AlertMessage, DigestMessage
from bot.digest.model import Digest
from bot.digest.schedule import DEFAULT_GRACE, latest_slot, next_run
from bot.digest.sender import ChannelGone, PermissionLost, RetryableSendError, Sender
from bot.digest.store import (
    CHANNEL_GONE,
    DigestSubscription,
    disable,
    disable_alerts,
    missing_permission_reason,
)
from bot.digest.tables import (
    alert_deliveries,
    alert_subscriptions,
    digest_deliveries,
    digest_subscriptions,
)
from bot.i18n import Language
from bot.storage import Database

log = logging.getLogger(__name__)

Composer = Callable[[Language, datetime], Awaitable[Digest]]
LanguageOf = Callable[[int], Awaitable[Language]]
Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[Any]]
# Given a subscriptions table, the condition selecting this process's guilds (shards).
Scope = Callable[[sa.Table], sa.ColumnElement[bool]]

# Tolerated clock difference between processes when searching history for an earlier post.
_HISTORY_SLACK = timedelta(minutes=5)
_COMPOSE_RETRY = timedelta(minutes=1)
# Hand the event loop back this often while walking many subscriptions or claims.
_YIELD_EVERY = 100


def shard_scope(shard_ids: Sequence[int], shard_count: int) -> Scope:
    """Discord's shard of a guild is (guild_id >> 22) % shard_count; keep only ours."""
    ids = list(shard_ids)

    def where(subs: sa.Table) -> sa.ColumnElement[bool]:
        return ((subs.c.guild_id // 4_194_304) % shard_count).in_(ids)

    return where


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DeliveryPolicy:
    grace: timedelta = DEFAULT_GRACE
    concurrency: int = 8
    max_attempts: int = 5
    lease: timedelta = timedelta(minutes=2)
    backoff_base: float = 2.0
    backoff_cap: float = 60.0
    alert_window: timedelta = timedelta(hours=72)
    batch: int = 250  # due subscriptions read and claimed per step

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            grace=timedelta(hours=settings.digest_grace_hours),
            concurrency=settings.digest_concurrency,
            max_attempts=settings.digest_max_attempts,
            lease=timedelta(seconds=settings.digest_lease_seconds),
            alert_window=timedelta(hours=settings.alert_max_age_hours),
        )

    @property
    def retry_budget(self) -> float:
        """Seconds one process may spend waiting between retries while it holds the lease."""
        return self.lease.total_seconds() / 2

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        exponential = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempt - 1))
        return max(exponential, retry_after or 0.0)


@dataclass
class DeliveryReport:
    sent: int = 0  # posted now
    recovered: int = 0  # found already posted by an earlier (crashed) attempt
    retried: int = 0  # retryable errors met (each followed by a wait)
    deferred: int = 0  # handed back as 'pending' for a later tick
    failed: int = 0
    skipped: int = 0  # missed days and resolutions past the grace window
    disabled: list[int] = field(default_factory=list)  # subscription ids switched off
    composed: list[str] = field(default_factory=list)  # languages composed this tick
    message_ids: list[int] = field(default_factory=list)

    @property
    def delivered(self) -> int:
        return self.sent + self.recovered


class _Tick:
    """One `run_due` call's digests: composed on first need, once per language."""

    def __init__(self, compose: Composer, now: datetime, report: DeliveryReport) -> None:
        self._compose = compose
        self._now = now
        self._report = report
        self._tasks: dict[Language, asyncio.Task[Digest | None]] = {}

    async def _build(self, language: Language) -> Digest | None:
        try:
            digest = await self._compose(language, self._now)
        except Exception:
            log.exception("composing the %s digest failed", language)
            return None
        self._report.composed.append(language)
        return digest

    async def digest(self, language: Language) -> Digest | None:
        if language not in self._tasks:
            self._tasks[language] = asyncio.create_task(self._build(language))
        return await self._tasks[language]


@dataclass(frozen=True)
class _Kind:
    name: str
    deliveries: sa.Table
    subscriptions: sa.Table
    disable: Callable[[Database, int, str, datetime], Awaitable[None]]


_DIGEST = _Kind("digest", digest_deliveries, digest_subscriptions, disable)
_ALERT = _Kind("alert", alert_deliveries, alert_subscriptions, disable_alerts)


class DeliveryEngine:
    """Runs due digests (`run_due`, every ~30 s) and alerts (`deliver_alerts`)."""

    def __init__(
        self,
        db: Database,
        sender: Sender,
        compose: Composer,
        *,
        language_of: LanguageOf,
        policy: DeliveryPolicy | None = None,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
        scope: Scope | None = None,
    ) -> None:
        self._db = db
        self._sender = sender
        self._compose = compose
        self._language_of = language_of
        self.policy = policy or DeliveryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._scope = scope
        self._semaphore = asyncio.Semaphore(self.policy.concurrency)

    @property
    def db(self) -> Database:
        return self._db

    def _where(self, subs: sa.Table) -> sa.ColumnElement[bool] | None:
        return self._scope(subs) if self._scope else None

    # --- digests --------------------------------------------------------------------------

    async def run_due(self, now: datetime | None = None) -> DeliveryReport:
        """Claim and send every digest due at `now`, and finish ones a crash left open.

        Due subscriptions are claimed in batches and each batch starts sending before the
        next is read, so no single step of the event loop handles thousands of rows.
        """
        now = now or self._clock()
        report = DeliveryReport()
        tick = _Tick(self._compose, now, report)
        jobs: list[asyncio.Task[None]] = []
        recovered = await ledger.take_over(
            self._db,
            digest_deliveries,
            digest_subscriptions,
            now=now,
            lease=self.policy.lease,
            scope=self._where(digest_subscriptions),
        )
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
        """Attach each claim's message (composed once per language) and start sending it."""
        for n, claim in enumerate(claims, 1):
            if n % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
            message = None
            if now - claim.run_at <= self.policy.grace:  # else only resolve what happened
                composed = await tick.digest(await self._language_of(claim.guild_id))
                if composed is None:
                    retry_at = now + _COMPOSE_RETRY
                    await self._release(_DIGEST, claim, retry_at, "compose failed")
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
            jobs.append(asyncio.create_task(self._deliver(_DIGEST, claim, message, report)))

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
            if n % _YIELD_EVERY == 0:
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
            await conn.execute(
                sa.update(t)
                .where(t.c.id == sa.bindparam("sid"))
                .values(next_run_at=sa.bindparam("next")),
                updates,
            )
        return claims

    # --- alerts ---------------------------------------------------------------------------

    async def deliver_alerts(
        self, events: Iterable[AlertEvent], now: datetime | None = None
    ) -> DeliveryReport:
        """Post each recent event once in every subscribed channel."""
        now = now or self._clock()
        report = DeliveryReport()
        recent = {e.key: e for e in events if now - e.at <= self.policy.alert_window}
        recovered = await ledger.take_over(
            self._db,
            alert_deliveries,
            alert_subscriptions,
            now=now,
            lease=self.policy.lease,
            scope=self._where(alert_subscriptions),
        )
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
            jobs.append(self._deliver(_ALERT, claim, message, report))
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

    # --- one delivery ---------------------------------------------------------------------

    async def _deliver(
        self,
        kind: _Kind,
        claim: Claim,
        message: DigestMessage | AlertMessage | None,
        report: DeliveryReport,
    ) -> None:
        """Send one claimed delivery (or resolve it, when `message` is None) and record it."""
        attempts = claim.attempts
        async with self._semaphore:
            try:
                if not claim.fresh:
                    found = await self._sender.find_sent(
                        claim.channel_id,
                        claim.nonce,
                        claim.marker,
                        claim.created_at - _HISTORY_SLACK,
                    )
                    if found is not None:
                        await ledger.mark_sent(
                            self._db,
                            kind.deliveries,
                            claim,
                            found,
                            attempts=attempts,
                            now=self._clock(),
                        )
                        report.recovered += 1
                        report.message_ids.append(found)
                        log.info("%s %s was already posted", kind.name, claim.idempotency_key)
                        return
                if message is None:  # past the grace window, or the event is gone
                    state = SKIPPED if claim.last_error is None else FAILED
                    await ledger.finish(
                        self._db,
                        kind.deliveries,
                        claim,
                        state,
                        attempts=attempts,
                        error=None,
                        now=self._clock(),
                    )
                    report.skipped += state == SKIPPED
                    report.failed += state == FAILED
                    return
                await self._send_with_retries(kind, claim, message, attempts, report)
            except (ChannelGone, PermissionLost) as exc:
                reason = (
                    CHANNEL_GONE
                    if isinstance(exc, ChannelGone)
                    else missing_permission_reason(exc.permission)
                )
                now = self._clock()
                await kind.disable(self._db, claim.subscription_id, reason, now)
                await ledger.finish(
                    self._db,
                    kind.deliveries,
                    claim,
                    FAILED,
                    attempts=attempts,
                    error=reason,
                    now=now,
                )
                report.failed += 1
                report.disabled.append(claim.subscription_id)
            except RetryableSendError as exc:  # from find_sent: look again later
                delay = self.policy.backoff(attempts, exc.retry_after)
                await self._release(
                    kind, claim, self._clock() + timedelta(seconds=delay), str(exc), attempts
                )
                report.deferred += 1
            except Exception as exc:
                log.exception("%s %s: unexpected error", kind.name, claim.idempotency_key)
                await self._give_up_or_defer(kind, claim, attempts, repr(exc), report)

    async def _send_with_retries(
        self,
        kind: _Kind,
        claim: Claim,
        message: DigestMessage | AlertMessage,
        attempts: int,
        report: DeliveryReport,
    ) -> None:
        waited = 0.0
        while True:
            try:
                message_id = await self._sender.send(claim.channel_id, message, nonce=claim.nonce)
            except RetryableSendError as exc:
                report.retried += 1
                delay = self.policy.backoff(attempts, exc.retry_after)
                if (
                    attempts >= self.policy.max_attempts
                    or waited + delay > self.policy.retry_budget
                ):
                    await self._give_up_or_defer(kind, claim, attempts, str(exc), report, delay)
                    return
                log.info(
                    "%s %s: retryable error, attempt %d, waiting %.1f s",
                    kind.name,
                    claim.idempotency_key,
                    attempts,
                    delay,
                )
                await self._sleep(delay)
                waited += delay
                attempts += 1
                continue
            stored = await ledger.mark_sent(
                self._db,
                kind.deliveries,
                claim,
                message_id,
                attempts=attempts,
                now=self._clock(),
            )
            if not stored:
                log.warning("%s %s: lease lost before recording", kind.name, claim.idempotency_key)
            report.sent += 1
            report.message_ids.append(message_id)
            return

    async def _give_up_or_defer(
        self,
        kind: _Kind,
        claim: Claim,
        attempts: int,
        error: str,
        report: DeliveryReport,
        delay: float | None = None,
    ) -> None:
        if attempts >= self.policy.max_attempts:
            await ledger.finish(
                self._db,
                kind.deliveries,
                claim,
                FAILED,
                attempts=attempts,
                error=error,
                now=self._clock(),
            )
            report.failed += 1
            log.warning(
                "%s %s failed after %d attempts", kind.name, claim.idempotency_key, attempts
            )
            return
        wait = delay if delay is not None else self.policy.backoff(attempts, None)
        await self._release(kind, claim, self._clock() + timedelta(seconds=wait), error, attempts)
        report.deferred += 1

    async def _release(
        self,
        kind: _Kind,
        claim: Claim,
        retry_at: datetime,
        error: str,
        attempts: int | None = None,
    ) -> None:
        await ledger.release(
            self._db,
            kind.deliveries,
            claim,
            retry_at=retry_at,
            attempts=claim.attempts if attempts is None else attempts,
            error=error,
            now=self._clock(),
        )


__all__ = [
    "SENDING",
    "AlertEvent",
    "Composer",
    "DeliveryEngine",
    "DeliveryPolicy",
    "DeliveryReport",
    "LanguageOf",
    "shard_scope",
]
