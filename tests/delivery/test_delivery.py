"""The delivery engine against the real SQLite file and an in-memory Discord.

A crash is simulated by raising `Crash` (not an Exception, so the engine cannot swallow it)
at a chosen step; then a fresh engine on a new connection to the same file takes over.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.delivery import ledger
from bot.delivery.engine import FeedSet
from bot.delivery.memory import MemorySender
from bot.delivery.messages import AlertEvent, AlertMessage, DigestMessage
from bot.delivery.sender import ChannelGone, PermissionLost, RetryableSendError
from bot.digest import store
from bot.digest.model import CoinMood, Digest
from bot.digest.tables import digest_deliveries
from bot.i18n import Language, use_language
from bot.storage import Database
from tests.digest.conftest import (
    DEFAULT_FEEDS,
    TODAY,
    Clock,
    Composer,
    EngineFactory,
    Sleeps,
)


class Crash(BaseException):
    """The process dies here."""


class FlakySender:
    """Wraps the in-memory Discord and fails in scripted ways."""

    def __init__(self, inner: MemorySender) -> None:
        self.inner = inner
        self.before_post: list[BaseException] = []  # raised (in order) instead of posting
        self.crash_after_post = False

    async def send(
        self, channel_id: int, message: DigestMessage | AlertMessage, *, nonce: str
    ) -> int:
        if self.before_post:
            raise self.before_post.pop(0)
        message_id = await self.inner.send(channel_id, message, nonce=nonce)
        if self.crash_after_post:
            raise Crash
        return message_id

    async def find_sent(
        self, channel_id: int, nonce: str, marker: str, after: datetime
    ) -> int | None:
        return await self.inner.find_sent(channel_id, nonce, marker, after)


async def subscribe(
    db: Database, clock: Clock, channel: int, at: str = "08:00", guild: int = 1
) -> store.DigestSubscription:
    return await store.subscribe(
        db,
        guild_id=guild,
        channel_id=channel,
        local_time=at,
        timezone="Europe/Amsterdam",
        created_by=None,
        now=clock(),
    )


async def rows(db: Database) -> list[sa.Row]:
    async with db.connection() as conn:
        return list(
            (
                await conn.execute(sa.select(digest_deliveries).order_by(digest_deliveries.c.id))
            ).all()
        )


DUE = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Amsterdam


async def test_due_digest_is_sent_once_and_recorded(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    await subscribe(db, clock, 10)
    engine = make_engine()
    assert (await engine.run_due(DUE - timedelta(seconds=30))).sent == 0
    clock.now = DUE
    report = await engine.run_due(DUE)
    assert report.sent == 1
    [post] = discord.posts[10]
    assert isinstance(post.message, DigestMessage)
    assert post.message.local_date == TODAY and post.message.digest.day == TODAY
    [row] = await rows(db)
    assert (row.state, row.message_id, row.local_date) == ("sent", post.message_id, TODAY)
    # Every later tick that day sends nothing more; the next day sends again.
    for minutes in (1, 30, 300):
        assert (await engine.run_due(DUE + timedelta(minutes=minutes))).sent == 0
    assert (await engine.run_due(DUE + timedelta(days=1))).sent == 1
    assert len(discord.posts[10]) == 2


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


async def test_a_send_left_open_is_skipped_after_the_grace_window(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    await subscribe(db, clock, 10)
    flaky = FlakySender(discord)
    flaky.before_post.append(Crash())
    clock.now = DUE
    with pytest.raises(Crash):
        await make_engine(sender=flaky).run_due(DUE)
    clock.now = DUE + timedelta(hours=7)
    report = await make_engine().run_due(clock.now)
    assert report.skipped == 1 and discord.posts[10] == []
    assert [r.state for r in await rows(db)] == ["skipped"]


async def test_an_in_flight_claim_is_not_taken_over_before_its_lease_ends(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    await subscribe(db, clock, 10)
    flaky = FlakySender(discord)
    flaky.before_post.append(Crash())
    clock.now = DUE
    with pytest.raises(Crash):
        await make_engine(sender=flaky).run_due(DUE)
    other = make_engine()
    assert (await other.run_due(DUE + timedelta(seconds=30))).delivered == 0
    assert (await other.run_due(DUE + timedelta(minutes=3))).sent == 1


async def test_two_engines_racing_post_each_digest_once(
    db: Database,
    fresh_db: Callable[[], Database],
    clock: Clock,
    discord: MemorySender,
    make_engine: EngineFactory,
) -> None:
    for channel in range(10, 30):
        await subscribe(db, clock, channel, guild=channel)
    clock.now = DUE
    a, b = make_engine(), make_engine(database=fresh_db())
    first, second = await asyncio.gather(a.run_due(DUE), b.run_due(DUE))
    assert first.sent + second.sent == 20
    assert all(len(discord.posts[c]) == 1 for c in range(10, 30))


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


async def test_missed_days_send_one_late_digest_and_record_the_skip(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    await subscribe(db, clock, 10)  # created 07:00 local on the 24th
    engine = make_engine()
    # Down until the 27th at 10:30 local: one digest (the 27th's), none for the 25th or 26th.
    late = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    clock.now = late
    assert (await engine.run_due(late)).sent == 1
    assert [p.message.local_date for p in discord.posts[10]] == [date(2026, 11, 27)]  # type: ignore[union-attr]
    # Down again until the 28th at 20:00 local: past the grace window, nothing is sent.
    later = datetime(2026, 11, 28, 19, 0, tzinfo=UTC)
    report = await engine.run_due(later)
    assert report.sent == 0 and report.skipped == 1
    assert [(r.local_date, r.state) for r in await rows(db)] == [
        (date(2026, 11, 27), "sent"),
        (date(2026, 11, 28), "skipped"),
    ]


async def test_dst_days_in_amsterdam_deliver_exactly_once(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    clock.now = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    await subscribe(db, clock, 10, at="02:30")  # missing on 29 March, doubled on 25 October
    engine = make_engine()
    # Tick every 30 minutes through both transitions (and a few normal days around them).
    for start, days in (
        (datetime(2026, 3, 27, 12, tzinfo=UTC), 4),
        (datetime(2026, 10, 23, 12, tzinfo=UTC), 4),
    ):
        tick = start
        while tick < start + timedelta(days=days):
            clock.now = tick
            await engine.run_due(tick)
            tick += timedelta(minutes=30)
    sent = [(p.message.local_date, p.at) for p in discord.posts[10]]  # type: ignore[union-attr]
    dates = [d for d, _ in sent]
    assert len(dates) == len(set(dates)) == 8
    by_date = dict(sent)
    assert by_date[date(2026, 3, 29)] == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert by_date[date(2026, 10, 25)] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # first 02:30


async def test_concurrent_sends_are_bounded_and_compose_runs_once_per_language(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    class Gauge(FlakySender):
        def __init__(self, inner: MemorySender) -> None:
            super().__init__(inner)
            self.active = self.peak = 0

        async def send(
            self, channel_id: int, message: DigestMessage | AlertMessage, *, nonce: str
        ) -> int:
            self.active += 1
            self.peak = max(self.peak, self.active)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            self.active -= 1
            return await super().send(channel_id, message, nonce=nonce)

    for channel in range(100, 140):
        await subscribe(db, clock, channel, guild=channel)
    composer = Composer()
    gauge = Gauge(discord)
    engine = make_engine(sender=gauge, composer=composer, concurrency=5)
    engine_languages = make_engine.languages  # type: ignore[attr-defined]
    for guild in range(100, 120):
        engine_languages[guild] = "nl"
    clock.now = DUE
    assert (await engine.run_due(DUE)).sent == 40
    assert 1 < gauge.peak <= 5
    assert composer.calls == {"en": 1, "nl": 1}
    languages = {p.channel_id: p.message.language for p in discord.all_posts()}  # type: ignore[union-attr]
    assert languages[100] == "nl" and languages[139] == "en"


async def test_digest_composed_once_per_feed_set_and_language(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    """Servers reading the same feeds share a digest; a server with feeds of its own gets one
    made from exactly its feeds, and nobody else gets that one."""

    class FeedsComposer(Composer):
        async def __call__(self, feeds: FeedSet, language: Language, now: datetime) -> Digest:
            digest = await super().__call__(feeds, language, now)
            coins = tuple(CoinMood(f"F{f}", 1, None, None) for f in feeds)  # which feeds it read
            return dataclasses.replace(digest, coins=coins)

    own: FeedSet = (1, 2, 9)  # the defaults plus a feed of its own
    for guild in (100, 101, 102, 103, 104):
        await subscribe(db, clock, channel=guild, guild=guild)
    composer = FeedsComposer()
    engine = make_engine(composer=composer)
    make_engine.feed_sets[102] = own  # type: ignore[attr-defined]
    make_engine.feed_sets[103] = (2, 1)  # the same set in another order: shared
    make_engine.languages[104] = "nl"  # type: ignore[attr-defined]
    clock.now = DUE
    assert (await engine.run_due(DUE)).sent == 5
    assert composer.keys == {(DEFAULT_FEEDS, "en"): 1, (own, "en"): 1, (DEFAULT_FEEDS, "nl"): 1}
    assert make_engine.feed_lookups == [{100, 101, 102, 103, 104}]  # type: ignore[attr-defined]
    read = {
        p.channel_id: tuple(c.symbol for c in p.message.digest.coins)  # type: ignore[union-attr]
        for p in discord.all_posts()
    }
    assert read == {
        100: ("F1", "F2"),
        101: ("F1", "F2"),
        102: ("F1", "F2", "F9"),
        103: ("F1", "F2"),
        104: ("F1", "F2"),
    }


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


async def test_shard_scopes_split_the_guilds_between_processes(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    from bot.shards import shard_scope

    guilds = [(k << 22) + 7 for k in range(6)]  # shards 0, 1, 0, 1, 0, 1
    for i, guild in enumerate(guilds):
        await subscribe(db, clock, 200 + i, guild=guild)
    clock.now = DUE
    sent = []
    for shard in (0, 1):
        engine = make_engine(scope=shard_scope([shard], 2))
        before = len(discord.all_posts())
        report = await engine.run_due(DUE)
        posts = discord.all_posts()[before:]
        sent.append(sorted(p.message.guild_id for p in posts))
        assert report.sent == 3
    assert sent == [guilds[0::2], guilds[1::2]]
