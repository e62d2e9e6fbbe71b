from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.digest import store
from bot.errors import BadInput
from bot.i18n import use_language
from bot.storage import Database

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam


async def subscribe(db: Database, channel: int = 10, at: str = "08:00", **kw: object):
    return await store.subscribe(
        db,
        guild_id=kw.pop("guild_id", 1),  # type: ignore[arg-type]
        channel_id=channel,
        local_time=at,
        timezone=kw.pop("timezone", "Europe/Amsterdam"),  # type: ignore[arg-type]
        created_by=99,
        now=NOW,
    )


async def test_subscribe_computes_the_next_run_and_lists_it_in_local_time(db: Database) -> None:
    sub = await subscribe(db, at="8:30")
    assert sub.local_time == time(8, 30)
    # 08:30 has passed today (10:00 local): tomorrow, 07:30 UTC.
    assert sub.next_run_at == datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
    [listing] = await store.list_subscriptions(db, 1, NOW)
    assert listing.next_local is not None
    assert (listing.next_local.hour, listing.next_local.minute) == (8, 30)
    assert listing.next_local.utcoffset() is not None
    assert listing.reason is None
    assert await store.list_subscriptions(db, 2, NOW) == []


async def test_duplicate_bad_time_and_bad_zone_are_refused_in_the_readers_language(
    db: Database,
) -> None:
    await subscribe(db)
    with pytest.raises(BadInput) as dup:
        await subscribe(db, at="09:00")
    assert "<#10>" in dup.value.message() and "08:00" in dup.value.message()
    with use_language("nl"):
        dutch = dup.value.message()
    assert "<#10>" in dutch and dutch != dup.value.message()
    with pytest.raises(BadInput):
        await subscribe(db, channel=11, at="25:00")
    with pytest.raises(BadInput):
        await subscribe(db, channel=11, timezone="Europe/Atlantis")
    assert len(await store.list_subscriptions(db, 1, NOW)) == 1


async def test_unsubscribe_and_unknown_channel(db: Database) -> None:
    await subscribe(db)
    await store.unsubscribe(db, guild_id=1, channel_id=10)
    assert await store.list_subscriptions(db, 1, NOW) == []
    with pytest.raises(BadInput):
        await store.unsubscribe(db, guild_id=1, channel_id=10)


async def test_disabled_subscription_shows_why_and_is_revived_by_subscribing(db: Database) -> None:
    sub = await subscribe(db)
    await store.disable(db, sub.id, store.missing_permission_reason("embed_links"), NOW)
    [listing] = await store.list_subscriptions(db, 1, NOW)
    assert listing.next_local is None
    assert listing.reason is not None and "Embed Links" in listing.reason
    with use_language("nl"):
        [dutch] = await store.list_subscriptions(db, 1, NOW)
    assert dutch.reason is not None and "Links insluiten" in dutch.reason
    revived = await subscribe(db, at="18:00")
    assert revived.id == sub.id and revived.enabled and revived.disabled_reason is None
    assert revived.local_time == time(18, 0)


async def test_alert_subscriptions(db: Database) -> None:
    await store.subscribe_alerts(db, guild_id=1, channel_id=10, created_by=None, now=NOW)
    with pytest.raises(BadInput):
        await store.subscribe_alerts(db, guild_id=1, channel_id=10, created_by=None, now=NOW)
    await store.subscribe_alerts(db, guild_id=1, channel_id=11, created_by=None, now=NOW)
    assert [a.channel_id for a in await store.list_alerts(db, 1)] == [10, 11]
    await store.unsubscribe_alerts(db, guild_id=1, channel_id=10)
    assert [a.channel_id for a in await store.list_alerts(db, 1)] == [11]
    with pytest.raises(BadInput):
        await store.unsubscribe_alerts(db, guild_id=1, channel_id=10)
