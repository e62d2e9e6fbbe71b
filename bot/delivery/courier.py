"""One claimed delivery, sent (or resolved) and recorded exactly once; see engine.py for the
steps and what a restart finds after a crash at each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.delivery import ledger
from bot.delivery.ledger import FAILED, SKIPPED, Claim
from bot.delivery.messages import OutMessage
from bot.delivery.policy import DeliveryPolicy, DeliveryReport
from bot.delivery.sender import ChannelGone, PermissionLost, RetryableSendError, Sender
from bot.digest.store import CHANNEL_GONE, missing_permission_reason
from bot.i18n import Language
from bot.shards import Scope
from bot.storage import Database

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
LanguageOf = Callable[[int], Awaitable[Language]]
Sleep = Callable[[float], Awaitable[Any]]
# A server's feed set: the ids of the feeds it reads, sorted (the key stories are shared by).
FeedSet = tuple[int, ...]
# guild ids -> each one's feed set (bot.guilds.feeds.feed_sets: a few queries per batch).
FeedsOf = Callable[[Collection[int]], Awaitable[Mapping[int, FeedSet]]]
# guild id -> the server's translation switch (/language translate).
TranslateOf = Callable[[int], Awaitable[bool]]

# Tolerated clock difference between processes when searching history for an earlier post.
_HISTORY_SLACK = timedelta(minutes=5)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Kind:
    """What differs between digests and alerts for one delivery: its tables and switch-off."""

    name: str
    deliveries: sa.Table
    subscriptions: sa.Table
    disable: Callable[[Database, int, str, datetime], Awaitable[None]]


class Courier:
    """Sends claimed deliveries under the policy's concurrency, retrying within the lease."""

    def __init__(
        self,
        db: Database,
        sender: Sender,
        policy: DeliveryPolicy,
        *,
        clock: Clock = utcnow,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._db = db
        self._sender = sender
        self.policy = policy
        self._clock = clock
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(policy.concurrency)

    async def deliver(
        self,
        kind: Kind,
        claim: Claim,
        message: OutMessage | None,
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
                await self.release(
                    kind, claim, self._clock() + timedelta(seconds=delay), str(exc), attempts
                )
                report.deferred += 1
            except Exception as exc:
                log.exception("%s %s: unexpected error", kind.name, claim.idempotency_key)
                await self._give_up_or_defer(kind, claim, attempts, repr(exc), report)

    async def _send_with_retries(
        self,
        kind: Kind,
        claim: Claim,
        message: OutMessage,
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
        kind: Kind,
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
        await self.release(kind, claim, self._clock() + timedelta(seconds=wait), error, attempts)
        report.deferred += 1

    async def release(
        self,
        kind: Kind,
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


class Rounds:
    """What digest and alert rounds share: the courier, this process's shard scope, the clock,
    and taking over deliveries whose lease ran out."""

    def __init__(
        self,
        db: Database,
        courier: Courier,
        *,
        language_of: LanguageOf,
        scope: Scope | None,
        clock: Clock,
    ) -> None:
        self._db = db
        self._courier = courier
        self.policy = courier.policy
        self._language_of = language_of
        self._scope = scope
        self._clock = clock

    def _where(self, subs: sa.Table) -> sa.ColumnElement[bool] | None:
        return self._scope(subs) if self._scope else None

    async def _take_over(self, kind: Kind, now: datetime) -> list[Claim]:
        return await ledger.take_over(
            self._db,
            kind.deliveries,
            kind.subscriptions,
            now=now,
            lease=self.policy.lease,
            scope=self._where(kind.subscriptions),
        )


async def always_translate(_guild_id: int) -> bool:
    return True  # no switch given: every server translates (the default)


class StoryRounds(Rounds):
    """Rounds that post stories (digests, live news): each server reads its own feed set, in
    its language, translated unless it switched translation off."""

    def __init__(
        self,
        db: Database,
        courier: Courier,
        *,
        language_of: LanguageOf,
        feeds_of: FeedsOf,
        scope: Scope | None,
        clock: Clock,
        translate_of: TranslateOf | None = None,
    ) -> None:
        super().__init__(db, courier, language_of=language_of, scope=scope, clock=clock)
        self._feeds_of = feeds_of
        self._translate_of: TranslateOf = translate_of or always_translate
