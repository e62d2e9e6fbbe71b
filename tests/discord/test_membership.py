"""Servers that remove the bot, end to end: feeds stop, subscriptions pause, return restores,
the retention period ends in a purge, and start-up reconciliation catches what was missed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.digest.store import GUILD_REMOVED, list_alerts, list_subscriptions, subscribe
from bot.guilds.feeds import list_guild_feeds
from bot.guilds.membership import mark_removed, removed_guilds
from bot.guilds.settings import GuildLanguages
from bot.runtime.jobs import guild_upkeep, pipeline_pass
from bot.runtime.services import Services, open_services
from bot.translate.readers import languages_read
from tests.discord.conftest import (
    ADMIN,
    EN_CHANNEL,
    EN_GUILD,
    EXTRA_ITEMS,
    NL_CHANNEL,
    NL_GUILD,
    OWNER,
    FeedServer,
    Running,
    bot_settings,
    rss,
    start_bot,
    stop_bot,
    world,
)
from tests.discord.test_commands import ask
from tests.fakediscord import FakeDiscord, Guild, guild_id_for_shard


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait (5 s at most) for the bot's event handlers, tasks of their own, to store it."""
    for _ in range(250):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the bot did not store the change")


async def subscription_states(services: Services, guild: int) -> list[tuple[bool, str | None]]:
    now = datetime.now(UTC)
    digests = await list_subscriptions(services.db, guild, now)
    alerts = await list_alerts(services.db, guild)
    return [(d.subscription.enabled, d.subscription.disabled_reason) for d in digests] + [
        (a.enabled, a.disabled_reason) for a in alerts
    ]


async def fetched(running: Running) -> set[str]:
    """The feed documents the next pipeline pass requested."""
    running.feeds.hits.clear()
    await pipeline_pass(running.services)
    return set(running.feeds.hits)


async def test_removal_pauses_return_restores_and_retention_purges(running: Running) -> None:
    fake, services, feeds = running.fake, running.services, running.feeds
    await asyncio.wait_for(running.bot.membership.reconciled.wait(), 5)
    services.settings.feeds_allow_private = True  # our feed server is on loopback
    feeds.docs["nl-extra.rss"] = rss("Altcoins NL", EXTRA_ITEMS, "nl")
    for guild, name in ((EN_GUILD, "extra.rss"), (NL_GUILD, "nl-extra.rss")):
        added = await ask(running, guild, "feeds add", {"url": feeds.url(name)}, ADMIN)
        assert "Altcoin" in added.content
        channel = EN_CHANNEL if guild == EN_GUILD else NL_CHANNEL
        options = {"channel": channel, "time": "08:00"}
        await ask(running, guild, "digest subscribe", options, ADMIN)
        await ask(running, guild, "alerts subscribe", {"channel": channel}, ADMIN)
    defaults = {"en.rss", "nl.rss"}
    assert await fetched(running) == defaults | {"extra.rss", "nl-extra.rss"}

    # The English server removes the bot.
    await fake.remove_guild(EN_GUILD)
    await eventually(lambda: _is_removed(services, EN_GUILD))
    assert await fetched(running) == defaults | {"nl-extra.rss"}  # not its own feed any more
    assert await subscription_states(services, EN_GUILD) == [(False, GUILD_REMOVED)] * 2
    assert await subscription_states(services, NL_GUILD) == [(True, None)] * 2

    # It invites the bot back within the retention period: everything resumes.
    [en] = [g for g in world() if g.id == EN_GUILD]
    await fake.add_guild(en)
    await eventually(lambda: _is_back(services, EN_GUILD))
    assert await fetched(running) == defaults | {"extra.rss", "nl-extra.rss"}
    assert await subscription_states(services, EN_GUILD) == [(True, None)] * 2
    listed = await ask(running, EN_GUILD, "feeds list")
    assert "Altcoin Weekly" in str(listed.embeds)

    # Removed again, and the retention period passes: the upkeep job purges its data.
    await fake.remove_guild(EN_GUILD)
    await eventually(lambda: _is_removed(services, EN_GUILD))
    days = services.settings.guild_retention_days
    soon = datetime.now(UTC) + timedelta(days=days - 1)
    assert await guild_upkeep(services, now=soon) == []
    later = datetime.now(UTC) + timedelta(days=days, minutes=1)
    assert await guild_upkeep(services, now=later) == [EN_GUILD]
    assert await subscription_states(services, EN_GUILD) == []
    assert all(f.is_default for f in await list_guild_feeds(services.db, EN_GUILD))
    assert await removed_guilds(services.db) == {}
    # The other server lost nothing.
    assert await subscription_states(services, NL_GUILD) == [(True, None)] * 2
    assert any(not f.is_default for f in await list_guild_feeds(services.db, NL_GUILD))


async def test_an_outage_is_not_a_removal(running: Running) -> None:
    await GuildLanguages(running.services.db, "en").set(EN_GUILD, "en")
    unavailable = asyncio.create_task(running.bot.wait_for("guild_unavailable", timeout=5))
    await running.fake.outage(EN_GUILD)
    await unavailable
    await asyncio.sleep(0.1)  # a handler would have run by now
    assert await removed_guilds(running.services.db) == {}


async def _is_removed(services: Services, guild_id: int) -> bool:
    return guild_id in await removed_guilds(services.db)


async def _is_back(services: Services, guild_id: int) -> bool:
    return guild_id not in await removed_guilds(services.db)


async def test_startup_reconciliation_on_this_process_shards(
    tmp_path: Path, feed_server: FeedServer, restore_endpoints: None
) -> None:
    """This process runs shard 0 of 2. Servers with data but missing from its guild list are
    marked removed; one back in the list is restored; an unavailable one (outage) and those
    of shard 1 (another process's) are left alone."""
    assert (EN_GUILD >> 22) % 2 == 0 and (NL_GUILD >> 22) % 2 == 1
    missing_here = guild_id_for_shard(0, 2, n=7)
    missing_there = guild_id_for_shard(1, 2, n=7)
    down = guild_id_for_shard(0, 2, n=8)
    guilds = [*world(), Guild(down, "Down", owner_id=OWNER.id, unavailable=True)]
    async with FakeDiscord(guilds) as fake:
        settings = bot_settings(tmp_path, fake, feed_server, shard_count=2, shard_ids=[0])
        async with open_services(settings) as services:
            now = datetime.now(UTC)
            for guild in (EN_GUILD, NL_GUILD, missing_here, missing_there, down):
                await GuildLanguages(services.db, "en").set(guild, "nl")
                await subscribe(
                    services.db,
                    guild_id=guild,
                    channel_id=guild + 1,
                    local_time="08:00",
                    timezone="Europe/Amsterdam",
                    created_by=ADMIN.id,
                    now=now,
                )
            await mark_removed(services.db, EN_GUILD, now=now)  # while the bot was away
            bot, task = await start_bot(settings, services)
            try:
                await asyncio.wait_for(bot.membership.reconciled.wait(), 5)
                assert {g.id for g in bot.guilds} == {EN_GUILD, down}
                assert set(await removed_guilds(services.db)) == {missing_here}
                paused = [(False, GUILD_REMOVED)]
                assert await subscription_states(services, missing_here) == paused
                for guild in (EN_GUILD, NL_GUILD, missing_there, down):
                    assert await subscription_states(services, guild) == [(True, None)], guild
            finally:
                await stop_bot(bot, task)
        assert fake.unhandled == []


async def test_dutch_locales_reach_the_pipeline_choice_of_translation_directions(
    running: Running,
) -> None:
    """Nobody ran /language: the Dutch server's locale alone makes the pipeline translate into
    Dutch (it cannot see Discord), a choice wins over the locale, and a Dutch server that
    joins later counts at once."""
    db = running.services.db
    await asyncio.wait_for(running.bot.membership.reconciled.wait(), 5)
    assert await languages_read(db, "en") == {"en", "nl"}

    await ask(running, NL_GUILD, "language set", {"language": "en"}, ADMIN)
    assert await languages_read(db, "en") == {"en"}

    joined = Guild(guild_id_for_shard(0, 1, n=9), "Nieuw", owner_id=OWNER.id, preferred_locale="nl")
    await running.fake.add_guild(joined)

    async def counted() -> bool:
        return await languages_read(db, "en") == {"en", "nl"}

    await eventually(counted)
