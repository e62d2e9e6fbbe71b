"""Digests and alerts end to end: subscribe, advance the clock, receive exactly once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from bot.delivery import ledger
from bot.digest.schedule import next_run
from bot.digest.tables import digest_deliveries
from bot.market.events import SignalEvent, record_signal_events
from tests.discord.conftest import (
    EN_CHANNEL,
    EN_GUILD,
    NL_CHANNEL,
    NL_DIGEST,
    NL_GUILD,
    NL_NO_EMBEDS,
    Running,
)
from tests.discord.test_commands import ask, embed_text
from tests.harness import ADMIN, ALICE

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def bot_overrides() -> dict[str, object]:
    return {"digest_tick_seconds": 0.2}


def advance_clock(running: Running, to: datetime) -> None:
    """The delivery engine's clock jumps to `to` (the rest of the bot keeps real time)."""
    engine = running.bot.get_cog("DigestCog").engine  # type: ignore[union-attr]
    engine.clock = lambda: to


async def subscribe(running: Running, guild: int, channel: int, **options: Any) -> Any:
    return await ask(running, guild, "digest subscribe", {"channel": channel, **options}, ADMIN)


async def test_subscribe_refusals(running: Running) -> None:
    denied = await ask(
        running, NL_GUILD, "digest subscribe", {"channel": NL_CHANNEL, "time": "08:00"}, ALICE
    )
    assert "Server beheren" in denied.content
    bad_time = await subscribe(running, NL_GUILD, NL_CHANNEL, time="25:61")
    bad_zone = await subscribe(running, NL_GUILD, NL_CHANNEL, time="08:00", timezone="Mars/Base")
    no_embeds = await subscribe(running, NL_GUILD, NL_NO_EMBEDS, time="08:00")
    for reply in (bad_time, bad_zone, no_embeds):
        assert reply.ephemeral and reply.content.startswith("⚠️")
    assert "Links insluiten" in no_embeds.content
    listed = await ask(running, NL_GUILD, "digest list", user=ADMIN)
    assert listed.content.startswith("Nog geen dagelijkse overzichten")

    ok = await subscribe(running, NL_GUILD, NL_CHANNEL, time="08:00")
    assert "08:00" in ok.content and "Europe/Amsterdam" in ok.content
    again = await subscribe(running, NL_GUILD, NL_CHANNEL, time="09:00")
    assert again.content.startswith("⚠️")


async def test_digest_arrives_once_in_each_servers_language(running: Running) -> None:
    fake = running.fake
    at = next_full_hour()
    slot = at.strftime("%H:%M")
    await subscribe(running, NL_GUILD, NL_CHANNEL, time=slot)
    await subscribe(running, EN_GUILD, EN_CHANNEL, time=slot, timezone="Europe/Amsterdam")
    listed = await ask(running, NL_GUILD, "digest list", user=ADMIN)
    assert f"{slot} (Europe/Amsterdam)" in listed.content and "volgende" in listed.content

    # That slot, one minute later: due now, and the feed's news is fresh.
    advance_clock(running, next_run(at, AMS, datetime.now(UTC)) + timedelta(minutes=1))
    nl = await fake.wait_for_message(NL_CHANNEL, timeout=10, source="channel")
    en = await fake.wait_for_message(EN_CHANNEL, timeout=10, source="channel")
    nl_text, en_text = embed_text(nl.embeds[0]), embed_text(en.embeds[0])
    assert "Geen financieel advies" in nl_text or "geen financieel advies" in nl_text
    assert "not financial advice" in en_text
    assert nl.pings.nobody and en.pings.nobody
    assert "Bitcoin stijgt naar recordhoogte" in nl_text

    # More ticks on the same local day post nothing more.
    with pytest.raises(TimeoutError):
        await fake.wait_for_message(NL_CHANNEL, timeout=1.0, source="channel")
    assert len([m for m in fake.messages[NL_CHANNEL] if m.source == "channel"]) == 1


async def test_deleted_channel_disables_and_list_says_why(running: Running) -> None:
    await subscribe(running, NL_GUILD, NL_DIGEST, time="08:00")
    await running.fake.delete_channel(NL_DIGEST)
    advance_clock(running, next_run(time(8, 0), AMS, datetime.now(UTC)) + timedelta(minutes=1))
    for _ in range(50):  # a few delivery ticks
        listed = await ask(running, NL_GUILD, "digest list", user=ADMIN)
        if "⛔" in listed.content:
            break
        await asyncio.sleep(0.1)
    assert "⛔" in listed.content and "verwijderd" in listed.content


async def test_preview_is_ephemeral_and_translated(running: Running) -> None:
    reply = await ask(running, NL_GUILD, "digest preview", user=ALICE)
    assert reply.ephemeral
    text = embed_text(reply.embeds[0])
    assert "Russell 2000" in text


async def test_breakout_alert_posted_once(running: Running) -> None:
    done = await ask(running, EN_GUILD, "alerts subscribe", {"channel": EN_CHANNEL}, ADMIN)
    assert "breakout alerts" in done.content
    today = datetime.now(UTC).date()
    event = SignalEvent(
        key=f"rut:breakout:test-{today}",
        kind="breakout",
        series="rut",
        day=today,
        payload={
            "close": 3100.5,
            "old_record": 3068.42,
            "breakout_day": today.isoformat(),
            "old_record_day": date(2026, 8, 14).isoformat(),
            "record_stood_sessions": 260,
        },
    )
    await record_signal_events(running.services.db, [event], live=True, max_age_days=7)
    alert = await running.fake.wait_for_message(EN_CHANNEL, timeout=10, source="channel")
    assert "Russell 2000 breakout" in embed_text(alert.embeds[0])
    assert "3,100.50" in embed_text(alert.embeds[0])
    with pytest.raises(TimeoutError):
        await running.fake.wait_for_message(EN_CHANNEL, timeout=1.0, source="channel")


def next_full_hour() -> time:
    """The next full hour in Amsterdam. A digest at that slot still has the feed's stories
    (published 1-5 h before the test) in its 24-hour window whatever the time of day the test
    runs; at a fixed 08:00, up to 24 h on, they had aged out from 07:00 UTC."""
    return (datetime.now(AMS) + timedelta(hours=1)).replace(minute=0, second=0).time()


def due_time() -> datetime:
    """One minute after the next 08:00 in Amsterdam: due now, with today's news fresh."""
    return next_run(time(8, 0), AMS, datetime.now(UTC)) + timedelta(minutes=1)


async def delivery_states(running: Running) -> list[str]:
    async with running.services.db.connection() as conn:
        rows = await conn.execute(sa.select(digest_deliveries.c.state))
        return [r.state for r in rows]


async def test_crash_between_send_and_record_does_not_double_post(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The post reached Discord but the process died before recording it. The restarted
    process, long after Discord forgot the nonce, finds the post by its marker: no repost."""
    fake = running.fake
    fake.nonce_window = 0  # the restart comes too late for Discord's nonce dedupe
    # Due two minutes from now, so the engine's clock stays close to Discord's snowflakes
    # (the history search looks back from the claim time).
    soon = (datetime.now(AMS) + timedelta(minutes=2)).time().replace(second=0, microsecond=0)
    due = next_run(soon, AMS, datetime.now(UTC)) + timedelta(seconds=30)
    await subscribe(running, NL_GUILD, NL_CHANNEL, time=soon.strftime("%H:%M"))
    recorded = ledger.mark_sent
    crashed = asyncio.Event()

    async def die(*args: Any, **kwargs: Any) -> bool:
        crashed.set()
        raise asyncio.CancelledError  # the delivery task ends here, as with a killed process

    monkeypatch.setattr(ledger, "mark_sent", die)
    advance_clock(running, due)
    await fake.wait_for_message(NL_CHANNEL, timeout=10, source="channel")
    await asyncio.wait_for(crashed.wait(), 10)
    assert await delivery_states(running) == ["sending"]

    monkeypatch.setattr(ledger, "mark_sent", recorded)
    await running.bot.reload_extension("cogs.digest")  # a fresh engine, as after a restart
    advance_clock(running, due + timedelta(minutes=3))  # past the claim's lease
    for _ in range(100):
        if await delivery_states(running) == ["sent"]:
            break
        await asyncio.sleep(0.05)
    assert await delivery_states(running) == ["sent"]
    assert len([m for m in fake.messages[NL_CHANNEL] if m.source == "channel"]) == 1


async def test_rate_limits_and_server_errors_are_retried_once_delivered(
    running: Running,
) -> None:
    fake = running.fake
    await subscribe(running, EN_GUILD, EN_CHANNEL, time="08:00")
    path = f"/channels/{EN_CHANNEL}/messages"
    fake.inject("POST", path, 429, times=2, retry_after=0.05, via=True)
    fake.inject("POST", path, 429, times=1, retry_after=0.05, via=False)  # raised, not retried
    advance_clock(running, due_time())
    digest = await fake.wait_for_message(EN_CHANNEL, timeout=20, source="channel")
    assert "Crypto digest for" in embed_text(digest.embeds[0])
    with pytest.raises(TimeoutError):
        await fake.wait_for_message(EN_CHANNEL, timeout=1.0, source="channel")
    assert len(fake.faults.served) == 3


async def test_lost_permission_disables_with_the_reason(running: Running) -> None:
    await subscribe(running, NL_GUILD, NL_CHANNEL, time="08:00")
    running.fake.inject("POST", f"/channels/{NL_CHANNEL}/messages", 403, times=1, code=50013)
    advance_clock(running, due_time())
    for _ in range(100):
        listed = await ask(running, NL_GUILD, "digest list", user=ADMIN)
        if "⛔" in listed.content:
            break
        await asyncio.sleep(0.05)
    assert "⛔" in listed.content and "Berichten versturen" in listed.content
