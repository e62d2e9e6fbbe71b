"""/live end to end: the real bot against the fake Discord, news from the local feed server
through the real pipeline. Subscribe, a new item appears, exactly one post; a second outlet
makes no second post; filters; no flood; a restart mid-delivery; a lost permission; tenancy."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.delivery import ledger
from bot.news.tables import articles
from bot.runtime.jobs import pipeline_pass
from tests.discord.conftest import (
    EN_CHANNEL,
    EN_GUILD,
    EN_ITEMS,
    EXTRA_ITEMS,
    NL_CHANNEL,
    NL_DIGEST,
    NL_GUILD,
    NL_NO_EMBEDS,
    Running,
    rss,
)
from tests.discord.test_commands import ask, embed_text
from tests.harness import ADMIN, ALICE

NEW = (
    "Tether mints another $2 billion of USDT",
    "https://en.example/usdt-mint",
    "Tether minted two billion USDT on Ethereum overnight, its largest issuance this month.",
)
NEW_NL = (
    "Ethereum-upgrade Pectra staat live op het mainnet",
    "https://nl.example/pectra-live",
    "De Pectra-upgrade van Ethereum is woensdag zonder problemen geactiveerd.",
)


@pytest.fixture
def bot_overrides() -> dict[str, object]:
    return {"live_tick_seconds": 0.2}


async def subscribe(running: Running, guild: int, channel: int, **options: Any) -> Any:
    return await ask(running, guild, "live subscribe", {"channel": channel, **options}, ADMIN)


def posts(running: Running, channel: int) -> list[Any]:
    return [m for m in running.fake.messages[channel] if m.source == "channel"]


async def add_feed(running: Running, guild: int, name: str) -> None:
    """The server adds a feed of its own (on the loopback feed server); one pass fetches it."""
    running.services.settings.feeds_allow_private = True
    added = await ask(running, guild, "feeds add", {"url": running.feeds.url(name)}, ADMIN)
    assert "Added" in added.content or "toegevoegd" in added.content, added.content
    await pipeline_pass(running.services)


async def story_ids(running: Running, title: str) -> set[int]:
    async with running.services.db.connection() as conn:
        found = await conn.execute(sa.select(articles.c.story_id).where(articles.c.title == title))
        return set(found.scalars())


async def publish(running: Running, name: str, items: list[tuple[str, str, str]]) -> None:
    """The feed `name` now carries `items` (newest first); one pipeline pass stores them."""
    language = "nl" if name.startswith("nl") else "en"
    running.feeds.docs[name] = rss(f"Feed {name}", items, language)
    await pipeline_pass(running.services)


async def test_subscribe_then_one_post_per_new_story(running: Running) -> None:
    fake = running.fake
    denied = await ask(running, EN_GUILD, "live subscribe", {"channel": EN_CHANNEL}, ALICE)
    assert "Manage Server" in denied.content
    no_embeds = await subscribe(running, NL_GUILD, NL_NO_EMBEDS)
    assert no_embeds.content.startswith("⚠️") and "Links insluiten" in no_embeds.content
    bad_coin = await subscribe(running, EN_GUILD, EN_CHANNEL, coin="NOTACOIN")
    assert bad_coin.content.startswith("⚠️")

    await add_feed(running, EN_GUILD, "extra.rss")  # a second outlet, first fetch: backlog
    done = await subscribe(running, EN_GUILD, EN_CHANNEL)
    assert "new stories" in done.content and done.ephemeral
    again = await subscribe(running, EN_GUILD, EN_CHANNEL)
    assert again.content.startswith("⚠️")
    # Subscribing posts nothing from what is already stored.
    with pytest.raises(TimeoutError):
        await fake.wait_for_message(EN_CHANNEL, timeout=1.0, source="channel")

    await publish(running, "en.rss", [NEW, *EN_ITEMS])
    post = await fake.wait_for_message(EN_CHANNEL, timeout=30, source="channel")
    text = embed_text(post.embeds[0])
    assert "Tether mints another $2 billion" in text and "English Crypto Daily" in text
    assert post.embeds[0]["url"] == NEW[1] and "ref " in text
    assert post.pings.nobody

    # The same story from a second outlet (read by this server for a while): no second post.
    await publish(running, "extra.rss", [(NEW[0], NEW[1] + "-wire", NEW[2]), *EXTRA_ITEMS])
    assert len(await story_ids(running, NEW[0])) == 1  # one story, two articles
    with pytest.raises(TimeoutError):
        await fake.wait_for_message(EN_CHANNEL, timeout=1.5, source="channel")
    assert len(posts(running, EN_CHANNEL)) == 1

    listed = await ask(running, EN_GUILD, "live list", user=ADMIN)
    assert f"<#{EN_CHANNEL}>" in listed.content and "last post" in listed.content


async def test_filters_and_dutch_words(running: Running) -> None:
    fake = running.fake
    done = await subscribe(running, NL_GUILD, NL_CHANNEL, language="nl", coin="ETH")
    assert "ETH" in done.content and "Nederlandse bronnen" in done.content
    await publish(running, "en.rss", [NEW, *EN_ITEMS])  # English: filtered out
    await publish(running, "nl.rss", [NEW_NL])
    post = await fake.wait_for_message(NL_CHANNEL, timeout=30, source="channel")
    text = embed_text(post.embeds[0])
    assert "Pectra" in text and "Bronnen" in text
    with pytest.raises(TimeoutError):
        await fake.wait_for_message(NL_CHANNEL, timeout=1.0, source="channel")

    listed = await ask(running, NL_GUILD, "live list", user=ADMIN)
    assert "laatste bericht" in listed.content
    gone = await ask(running, NL_GUILD, "live unsubscribe", {"channel": NL_CHANNEL}, ADMIN)
    assert "geen live nieuws meer" in gone.content
    empty = await ask(running, NL_GUILD, "live list", user=ADMIN)
    assert empty.content.startswith("Nog geen")


async def test_min_sources_holds_a_story_back(running: Running) -> None:
    fake = running.fake
    await add_feed(running, EN_GUILD, "extra.rss")
    await subscribe(running, EN_GUILD, EN_CHANNEL, min_sources=2)
    await publish(running, "en.rss", [NEW, *EN_ITEMS])
    with pytest.raises(TimeoutError):
        await fake.wait_for_message(EN_CHANNEL, timeout=1.5, source="channel")
    await publish(running, "extra.rss", [(NEW[0], NEW[1] + "-wire", NEW[2]), *EXTRA_ITEMS])
    post = await fake.wait_for_message(EN_CHANNEL, timeout=30, source="channel")
    text = embed_text(post.embeds[0])
    assert "Tether" in text and "Altcoin Weekly" in text and "English Crypto Daily" in text


async def test_no_flood_from_a_new_feeds_archive(running: Running) -> None:
    fake = running.fake
    await subscribe(running, EN_GUILD, EN_CHANNEL)
    archive = [(f"Archive story {n}", f"https://arch.example/{n}", "Old.") for n in range(5)]
    running.feeds.docs["archive.rss"] = rss("Archive", archive, "en")
    await add_feed(running, EN_GUILD, "archive.rss")  # its first fetch: stored as backlog
    with pytest.raises(TimeoutError):
        await fake.wait_for_message(EN_CHANNEL, timeout=1.5, source="channel")


async def test_tenancy_another_servers_feed_never_reaches_this_channel(
    running: Running,
) -> None:
    fake = running.fake
    await subscribe(running, EN_GUILD, EN_CHANNEL)
    await subscribe(running, NL_GUILD, NL_DIGEST)
    # The Dutch server adds a feed of its own; its first fetch is backlog, then a new item.
    own = ("HBAR airdrop for Dutch readers", "https://own.example/hbar", "Only ours.")
    running.feeds.docs["own.rss"] = rss("Own Feed", [], "en")
    await add_feed(running, NL_GUILD, "own.rss")
    await publish(running, "own.rss", [own])
    post = await fake.wait_for_message(NL_DIGEST, timeout=30, source="channel")
    assert "HBAR airdrop" in embed_text(post.embeds[0])
    await asyncio.sleep(1.0)  # several ticks
    assert all("HBAR" not in embed_text(m.embeds[0]) for m in posts(running, EN_CHANNEL))


async def test_lost_permission_stops_it_and_list_says_why(running: Running) -> None:
    await subscribe(running, EN_GUILD, EN_CHANNEL)
    running.fake.inject("POST", f"/channels/{EN_CHANNEL}/messages", 403, code=50013, times=5)
    await publish(running, "en.rss", [NEW, *EN_ITEMS])
    for _ in range(300):  # up to ~30 s on a loaded machine
        listed = await ask(running, EN_GUILD, "live list", user=ADMIN)
        if "⛔" in listed.content:
            break
        await asyncio.sleep(0.1)
    assert "⛔" in listed.content and "Send Messages" in listed.content


async def test_restart_mid_delivery_posts_exactly_once(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delivery loop dies between the post and its record; a new one finds the post in
    the channel's history and records it instead of posting again."""
    await subscribe(running, EN_GUILD, EN_CHANNEL)
    died = asyncio.Event()

    async def die_before_recording(*args: object, **kwargs: object) -> bool:
        died.set()
        raise asyncio.CancelledError  # the process stops between the post and its record

    monkeypatch.setattr(ledger, "mark_sent", die_before_recording)
    await publish(running, "en.rss", [NEW, *EN_ITEMS])
    await asyncio.wait_for(died.wait(), 10)
    cog: Any = running.bot.get_cog("LiveCog")
    await cog.cog_unload()
    monkeypatch.undo()
    assert len(posts(running, EN_CHANNEL)) == 1

    await cog.cog_load()  # a new engine with nothing in memory, once the lease has run out
    cog.engine.clock = lambda: datetime.now(UTC) + timedelta(minutes=3)
    for _ in range(300):  # up to ~30 s on a loaded machine
        listed = await ask(running, EN_GUILD, "live list", user=ADMIN)
        if "last post" in listed.content:
            break
        await asyncio.sleep(0.1)
    assert "last post" in listed.content
    await asyncio.sleep(0.5)
    assert len(posts(running, EN_CHANNEL)) == 1
