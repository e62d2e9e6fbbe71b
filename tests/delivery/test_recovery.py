"""The delivery engine recovering, against the real SQLite file and an in-memory Discord.

A crash is simulated by raising `Crash` (not an Exception, so the engine cannot swallow it)
at a chosen step; then a fresh engine on a new connection to the same file takes over.
Retryable errors back off, a lost channel or permission disables the subscription, and an
alert posted but not recorded is found again after a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.delivery import ledger
from bot.delivery.memory import MemorySender
from bot.delivery.messages import AlertEvent
from bot.delivery.sender import ChannelGone, PermissionLost, RetryableSendError
from bot.digest import store
from bot.digest.tables import digest_subscriptions
from bot.i18n import use_language
from bot.storage import Database
from tests.delivery.support import DUE, Crash, FlakySender, rows, subscribe
from tests.digest.conftest import Clock, EngineFactory, Sleeps


async def crash_before_claim(monkeypatch: pytest.MonkeyPatch, sender: FlakySender) -> None:
    async def boom(*args: object, **kwargs: object) -> None:
        raise Crash

    monkeypatch.setattr(ledger, "claim_new", boom)


async def crash_after_claim(monkeypatch: pytest.MonkeyPatch, sender: FlakySender) -> None:
    sender.before_post += [Crash(), Crash()]


async def crash_after_send(monkeypatch: pytest.MonkeyPatch, sender: FlakySender) -> None:
    sender.crash_after_post = True


async def crash_after_record(monkeypatch: pytest.MonkeyPatch, sender: FlakySender) -> None:
    real = ledger.mark_sent

    async def record_then_die(*args: object, **kwargs: object) -> bool:
        await real(*args, **kwargs)  # type: ignore[arg-type]
        raise Crash

    monkeypatch.setattr(ledger, "mark_sent", record_then_die)


@pytest.mark.parametrize(
    "crash", [crash_before_claim, crash_after_claim, crash_after_send, crash_after_record]
)
@pytest.mark.parametrize("restart_after", [timedelta(minutes=3), timedelta(hours=5)])
async def test_a_crash_at_any_step_neither_doubles_nor_loses_the_digest(
    db: Database,
    fresh_db: Callable[[], Database],
    clock: Clock,
    discord: MemorySender,
    make_engine: EngineFactory,
    monkeypatch: pytest.MonkeyPatch,
    crash: Callable[..., object],
    restart_after: timedelta,
) -> None:
    for channel in (10, 11):
        await subscribe(db, clock, channel)
    flaky = FlakySender(discord)
    await crash(monkeypatch, flaky)  # type: ignore[misc]
    clock.now = DUE
    with pytest.raises(Crash):
        await make_engine(sender=flaky).run_due(DUE)
    monkeypatch.undo()

    # A new process: its own connection to the same file, a healthy sender, later clock.
    clock.now = DUE + restart_after
    restarted = make_engine(database=fresh_db())
    report = await restarted.run_due(clock.now)
    await restarted.run_due(clock.now + timedelta(minutes=5))

    for channel in (10, 11):
        assert len(discord.posts[channel]) == 1, channel
    states = {r.channel_id: (r.state, r.message_id) for r in await rows(db)}
    assert states == {c: ("sent", discord.posts[c][0].message_id) for c in (10, 11)}
    assert report.delivered == 2 or crash is crash_after_record


async def crash_while_sending(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    """Channel 10's digest is claimed at DUE, then the process dies before posting it."""
    await subscribe(db, clock, 10)
    flaky = FlakySender(discord)
    flaky.before_post.append(Crash())
    clock.now = DUE
    with pytest.raises(Crash):
        await make_engine(sender=flaky).run_due(DUE)


async def test_a_send_left_open_is_skipped_after_the_grace_window(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    await crash_while_sending(db, clock, discord, make_engine)
    clock.now = DUE + timedelta(hours=7)
    report = await make_engine().run_due(clock.now)
    assert report.skipped == 1 and discord.posts[10] == []
    assert [r.state for r in await rows(db)] == ["skipped"]


async def test_an_in_flight_claim_is_not_taken_over_before_its_lease_ends(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    await crash_while_sending(db, clock, discord, make_engine)
    other = make_engine()
    assert (await other.run_due(DUE + timedelta(seconds=30))).delivered == 0
    assert (await other.run_due(DUE + timedelta(minutes=3))).sent == 1


async def test_retryable_errors_back_off_then_succeed(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    await subscribe(db, clock, 10)
    flaky = FlakySender(discord)
    flaky.before_post += [
        RetryableSendError(None),
        RetryableSendError(None),
        RetryableSendError(7.5),
    ]
    sleeps = Sleeps()
    clock.now = DUE
    report = await make_engine(sender=flaky, sleep=sleeps).run_due(DUE)
    assert report.sent == 1 and report.retried == 3
    assert sleeps.delays == [2.0, 4.0, 8.0]  # exponential; a shorter Retry-After loses
    [row] = await rows(db)
    assert (row.state, row.attempts) == ("sent", 4)
    assert len(discord.posts[10]) == 1


async def test_a_long_retry_after_defers_to_a_later_tick(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    await subscribe(db, clock, 10)
    flaky = FlakySender(discord)
    flaky.before_post.append(RetryableSendError(300.0))
    clock.now = DUE
    engine = make_engine(sender=flaky)
    assert (await engine.run_due(DUE)).deferred == 1
    [row] = await rows(db)
    assert row.state == "pending" and row.lease_until == DUE + timedelta(seconds=300)
    assert (await engine.run_due(DUE + timedelta(seconds=60))).sent == 0
    clock.now = DUE + timedelta(seconds=301)
    assert (await engine.run_due(clock.now)).sent == 1
    assert len(discord.posts[10]) == 1


async def test_a_paused_subscription_is_not_retried_until_it_resumes(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    """A delivery waiting for its retry when its server removes the bot: nothing is sent (a
    send would fail and wrongly disable the subscription as 'channel gone'); once the server
    is back and the subscription on again, the retry goes out."""
    sub = await subscribe(db, clock, 10)
    flaky = FlakySender(discord)
    flaky.before_post.append(RetryableSendError(300.0))
    clock.now = DUE
    engine = make_engine(sender=flaky)
    assert (await engine.run_due(DUE)).deferred == 1
    await store.disable(db, sub.id, "guild_removed", DUE)
    clock.now = DUE + timedelta(seconds=301)
    assert (await engine.run_due(clock.now)).sent == 0
    [row] = await rows(db)
    assert row.state == "pending" and discord.posts[10] == []
    async with db.begin() as conn:
        await conn.execute(
            sa.update(digest_subscriptions)
            .where(digest_subscriptions.c.id == sub.id)
            .values(enabled=True, disabled_reason=None)
        )
    assert (await engine.run_due(clock.now)).sent == 1
    assert len(discord.posts[10]) == 1


async def test_attempts_are_bounded(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    await subscribe(db, clock, 10)
    flaky = FlakySender(discord)
    flaky.before_post += [RetryableSendError(None) for _ in range(10)]
    clock.now = DUE
    report = await make_engine(sender=flaky, max_attempts=3).run_due(DUE)
    assert report.failed == 1 and discord.posts[10] == []
    [row] = await rows(db)
    assert (row.state, row.attempts) == ("failed", 3)
    assert "retry" in (row.last_error or "")


@pytest.mark.parametrize(
    ("failure", "reason_en", "reason_nl"),
    [
        (ChannelGone("10003"), "deleted", "verwijderd"),
        (PermissionLost("send_messages"), "Send Messages", "Berichten versturen"),
    ],
)
async def test_channel_deletion_and_permission_loss_disable_with_the_reason(
    db: Database,
    clock: Clock,
    discord: MemorySender,
    make_engine: EngineFactory,
    failure: Exception,
    reason_en: str,
    reason_nl: str,
) -> None:
    await subscribe(db, clock, 10)
    await subscribe(db, clock, 11)
    flaky = FlakySender(discord)
    flaky.before_post.append(failure)
    clock.now = DUE
    engine = make_engine(sender=flaky, concurrency=1)
    report = await engine.run_due(DUE)
    assert len(report.disabled) == 1 and report.sent == 1
    listings = await store.list_subscriptions(db, 1, DUE)
    [off] = [item for item in listings if not item.subscription.enabled]
    assert off.reason is not None and reason_en in off.reason
    with use_language("nl"):
        [off_nl] = [i for i in await store.list_subscriptions(db, 1, DUE) if i.reason]
    assert off_nl.reason is not None and reason_nl in off_nl.reason
    # The disabled one is not tried again the next day; the other one is.
    before = flaky.inner.send_calls
    assert (await engine.run_due(DUE + timedelta(days=1))).sent == 1
    assert flaky.inner.send_calls == before + 1


async def test_alerts_post_each_event_once_per_channel(
    db: Database,
    fresh_db: Callable[[], Database],
    clock: Clock,
    discord: MemorySender,
    make_engine: EngineFactory,
) -> None:
    now = clock()
    for channel in (50, 51):
        await store.subscribe_alerts(db, guild_id=5, channel_id=channel, created_by=None, now=now)
    breakout = AlertEvent("rut:breakout:2026-11-20", "breakout", now - timedelta(hours=2))
    ancient = AlertEvent("rut:breakout:2020-11-05", "breakout", now - timedelta(days=400))
    engine = make_engine()
    assert (await engine.deliver_alerts([breakout, ancient], now)).sent == 2
    assert (await engine.deliver_alerts([breakout, ancient], now + timedelta(hours=1))).sent == 0
    assert {p.message.event.key for p in discord.all_posts()} == {breakout.key}  # type: ignore[union-attr]

    # A crash between posting and recording an alert: the restart finds the post.
    confirmation = AlertEvent("rut:confirmation:2026-11-20", "confirmation", now)
    flaky = FlakySender(discord)
    flaky.crash_after_post = True
    with pytest.raises(Crash):
        await make_engine(sender=flaky).deliver_alerts([confirmation], now)
    later = now + timedelta(minutes=10)
    report = await make_engine(database=fresh_db()).deliver_alerts([confirmation], later)
    assert report.sent + report.recovered == 2
    for channel in (50, 51):
        assert [p.message.event.kind for p in discord.posts[channel]] == [
            "breakout",
            "confirmation",
        ]  # type: ignore[union-attr]
