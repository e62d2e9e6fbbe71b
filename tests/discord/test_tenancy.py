"""Tenancy end to end: a server's own feeds reach that server and no other.

The attack (issue #11): a server admin adds six feeds of their own, all carrying one phishing
headline (with `@everyone` in it) about a coin nobody else writes about. Six outlets make it
the day's biggest story, so a bot that reads every feed in the database puts it at the top of
every server's digest, /digest preview, /sentiment and coin autocomplete. Here the hostile
server is the Dutch one (it sees its own feeds) and the English one must never see them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.digest.schedule import next_run
from bot.runtime.jobs import pipeline_pass
from tests.discord.conftest import (
    ADMIN,
    ALICE,
    EN_CHANNEL,
    EN_GUILD,
    NL_CHANNEL,
    NL_GUILD,
    Running,
    rss,
)
from tests.discord.test_commands import ask, embed_text

HOSTILE, VICTIM = NL_GUILD, EN_GUILD
PHISH = "@everyone Hedera airdrop: verify your wallet now to receive 5,000 HBAR"
PHISH_LINK = "https://hbar-claim.example/verify"
PHISH_BODY = "Connect your wallet at hbar-claim.example before midnight to claim free Hedera."
# What must never show on the victim's side: the headline, its link and its coin.
TRACES = ("Hedera", "HBAR", "hbar-claim", "airdrop")
AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def bot_overrides() -> dict[str, object]:
    return {"digest_tick_seconds": 0.2}


async def add_hostile_feeds(running: Running, count: int = 6) -> None:
    """The hostile server adds `count` feeds of its own through /feeds add; one fetch pass."""
    running.services.settings.feeds_allow_private = True  # the feed server is on loopback
    for n in range(1, count + 1):
        name = f"alerts{n}.rss"
        running.feeds.docs[name] = rss(
            f"Hedera Alerts {n}", [(PHISH, PHISH_LINK, PHISH_BODY)], "en"
        )
        added = await ask(running, HOSTILE, "feeds add", {"url": running.feeds.url(name)}, ADMIN)
        assert "toegevoegd" in added.content, added.content
    await pipeline_pass(running.services)  # fetched and scored like any feed


def clean(text: str) -> bool:
    return not any(trace.lower() in text.lower() for trace in TRACES)


async def test_delivered_digest_never_carries_another_servers_feeds(running: Running) -> None:
    fake = running.fake
    await add_hostile_feeds(running)
    # Both servers due two minutes from now (close to real time: today's news is fresh).
    soon = (datetime.now(AMS) + timedelta(minutes=2)).time().replace(second=0, microsecond=0)
    for guild, channel in ((VICTIM, EN_CHANNEL), (HOSTILE, NL_CHANNEL)):
        options: dict[str, Any] = {"channel": channel, "time": soon.strftime("%H:%M")}
        done = await ask(running, guild, "digest subscribe", options, ADMIN)
        assert not done.content.startswith("⚠️"), done.content
    engine = running.bot.get_cog("DigestCog").engine  # type: ignore[union-attr]
    due = next_run(soon, AMS, datetime.now(UTC)) + timedelta(seconds=30)
    engine.clock = lambda: due

    victim = await fake.wait_for_message(EN_CHANNEL, timeout=10, source="channel")
    hostile = await fake.wait_for_message(NL_CHANNEL, timeout=10, source="channel")
    victim_text, hostile_text = embed_text(victim.embeds[0]), embed_text(hostile.embeds[0])
    assert "Crypto digest for" in victim_text and "Solana network stalls" in victim_text
    assert clean(victim_text), victim_text
    assert "@everyone" not in victim_text.replace("@everyone Ethereum exchange hacked", "")
    # The server that added the feeds gets what it asked for (and still pings nobody).
    assert "Hedera airdrop" in hostile_text and "HBAR" in hostile_text
    assert victim.pings.nobody and hostile.pings.nobody


async def test_preview_sentiment_and_news_read_only_the_servers_feeds(running: Running) -> None:
    before = embed_text((await ask(running, VICTIM, "sentiment")).embeds[0])
    await add_hostile_feeds(running)

    preview = await ask(running, VICTIM, "digest preview", user=ALICE)
    preview_text = embed_text(preview.embeds[0])
    assert "Solana network stalls" in preview_text and clean(preview_text), preview_text
    mood = embed_text((await ask(running, VICTIM, "sentiment")).embeds[0])
    assert mood == before and "Articles: 6" in mood  # the six articles of its own feeds
    coin = embed_text((await ask(running, VICTIM, "sentiment", {"coin": "HBAR"})).embeds[0])
    assert "No scored articles in this period." in coin
    news = embed_text((await ask(running, VICTIM, "news")).embeds[0])
    assert "Solana network stalls" in news and clean(news), news

    own_preview = embed_text((await ask(running, HOSTILE, "digest preview")).embeds[0])
    assert "Hedera airdrop" in own_preview
    own_coin = embed_text((await ask(running, HOSTILE, "sentiment", {"coin": "HBAR"})).embeds[0])
    assert "Artikelen: 6" in own_coin
    assert "Hedera airdrop" in embed_text((await ask(running, HOSTILE, "news")).embeds[0])


async def coin_choices(running: Running, guild: int, typed: str = "") -> list[str]:
    channel = NL_CHANNEL if guild == NL_GUILD else EN_CHANNEL
    handle = await running.fake.autocomplete(
        guild, channel, ALICE, "sentiment", {"coin": typed}, focused="coin"
    )
    await handle.wait_response()
    return [choice["value"] for choice in handle.choices]


async def test_coin_autocomplete_ranks_by_the_servers_own_articles(running: Running) -> None:
    before = await coin_choices(running, VICTIM)
    assert before[0] == "BTC"
    await add_hostile_feeds(running)
    assert await coin_choices(running, VICTIM) == before  # HBAR did not jump the list
    assert (await coin_choices(running, HOSTILE))[0] == "HBAR"  # six of its articles name it


async def test_about_counts_the_servers_own_feeds(running: Running) -> None:
    await add_hostile_feeds(running)
    victim = embed_text((await ask(running, VICTIM, "about")).embeds[0])
    hostile = embed_text((await ask(running, HOSTILE, "about")).embeds[0])
    assert "1 English and 1 Dutch feeds" in victim
    assert "7 Engelstalige en 1 Nederlandstalige feeds" in hostile
