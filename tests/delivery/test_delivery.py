"""The delivery engine's digests against the real SQLite file and an in-memory Discord: due
once a day, missed days, daylight saving time, two engines racing, bounded concurrency and
shards. Crashes, retries and lost channels are in test_recovery.py."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from bot.delivery.engine import FeedSet
from bot.delivery.memory import MemorySender
from bot.delivery.messages import AlertMessage, DigestMessage
from bot.digest.model import CoinMood, Digest
from bot.i18n import Language
from bot.storage import Database
from tests.delivery.support import DUE, FlakySender, rows, subscribe
from tests.digest.conftest import DEFAULT_FEEDS, TODAY, Clock, Composer, EngineFactory


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


async def test_digest_composed_once_per_feed_set_and_language(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    """Servers reading the same feeds share a digest; a server with feeds of its own gets one
    made from exactly its feeds, and nobody else gets that one."""

    class FeedsComposer(Composer):
        async def __call__(
            self, feeds: FeedSet, language: Language, now: datetime, translate: bool = True
        ) -> Digest:
            digest = await super().__call__(feeds, language, now, translate)
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
