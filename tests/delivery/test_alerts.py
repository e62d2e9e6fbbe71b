from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.delivery.alerts import alert_lines, alert_title, recent_alert_events
from bot.delivery.memory import MemorySender
from bot.digest import store
from bot.i18n import use_language
from bot.market.events import SignalEvent, record_signal_events
from bot.storage import Database
from tests.digest.conftest import Clock, EngineFactory

PAYLOAD = {
    "breakout_day": "2026-11-20",
    "close": 2612.5,
    "old_record": 2466.49,
    "old_record_day": "2024-11-25",
    "record_stood_sessions": 250,
}


async def test_live_signal_events_become_alerts_with_their_sample_size(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    now = clock()
    history = SignalEvent("rut:breakout:2020-11-05", "breakout", "rut", date(2020, 11, 5), PAYLOAD)
    live = SignalEvent("rut:breakout:2024-11-25", "breakout", "rut", date(2026, 11, 20), PAYLOAD)
    await record_signal_events(db, [history], live=False, max_age_days=7, now=now)
    await record_signal_events(db, [live], live=True, max_age_days=7, now=now)
    events = await recent_alert_events(db, sample_size=2)
    assert [e.key for e in events] == [live.key]  # backfilled history is never announced

    await store.subscribe_alerts(db, guild_id=1, channel_id=70, created_by=None, now=now)
    make_engine.languages[1] = "nl"  # type: ignore[attr-defined]
    engine = make_engine()
    assert (await engine.deliver_alerts(events, now + timedelta(minutes=1))).sent == 1
    assert (await engine.deliver_alerts(events, now + timedelta(minutes=2))).sent == 0
    [post] = discord.posts[70]
    assert post.message.language == "nl"  # type: ignore[union-attr]

    english = alert_lines(events[0])
    with use_language("nl"):
        dutch, title = alert_lines(events[0]), alert_title(events[0])
    assert "2,612.50" in english[0] and "2.612,50" in dutch[0]
    assert "2 completed historical cases" in english[-1]
    assert title != alert_title(events[0]) and dutch[-1] != english[-1]


async def test_a_failing_composer_defers_the_digest_instead_of_losing_it(
    db: Database, clock: Clock, discord: MemorySender, make_engine: EngineFactory
) -> None:
    from tests.digest.conftest import Composer

    class Broken(Composer):
        fail = True

        async def __call__(self, feeds, language, now, translate=True):  # type: ignore[no-untyped-def]
            if self.fail:
                raise RuntimeError("database hiccup")
            return await super().__call__(feeds, language, now, translate)

    await store.subscribe(
        db,
        guild_id=1,
        channel_id=10,
        local_time="08:00",
        timezone="Europe/Amsterdam",
        created_by=None,
        now=clock(),
    )
    composer = Broken()
    engine = make_engine(composer=composer)
    due = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert (await engine.run_due(due)).deferred == 1 and discord.posts[10] == []
    composer.fail = False
    assert (await engine.run_due(due + timedelta(minutes=2))).sent == 1
    assert len(discord.posts[10]) == 1
