"""/feeds add limits end to end: per server and per user, before any download; the size cap."""

from __future__ import annotations

import asyncio

import pytest

from bot.news.feeds import FeedSpec
from bot.news.pipeline import ingest
from tests.discord.conftest import (
    ADMIN,
    EN_CHANNEL,
    EN_GUILD,
    NL_GUILD,
    OWNER,
    Running,
    rss,
)
from tests.discord.test_commands import ask


@pytest.fixture
def bot_overrides() -> dict[str, object]:
    return {
        "feeds_add_per_guild": 5,
        "feeds_add_per_user": 3,
        "feeds_add_window_seconds": 600,
        "feeds_add_max_bytes": 20_000,
    }


async def test_attempts_are_limited_per_user_and_per_server(running: Running) -> None:
    running.services.settings.feeds_allow_private = True  # our feed server is on loopback
    feeds = running.feeds
    feeds.hits.clear()  # the start-up pass fetched the defaults
    first = [
        ("page.html", "Op dat adres staat geen RSS- of Atom-feed."),  # refused: still counted
        ("nl.rss", "Die feed staat al in de lijst"),
        ("extra.rss", "Altcoin Weekly"),
    ]
    for name, answer in first:
        reply = await ask(running, NL_GUILD, "feeds add", {"url": feeds.url(name)}, ADMIN)
        assert answer in reply.content
    assert len(feeds.hits) == 3

    # The user's fourth attempt: refused before anything is downloaded.
    user = await ask(running, NL_GUILD, "feeds add", {"url": feeds.url("en.rss")}, ADMIN)
    assert user.ephemeral
    assert user.content == (
        "⚠️ Je hebt te vaak geprobeerd feeds toe te voegen. Probeer het over 10 minuten opnieuw."
    )
    # ... on any server: the limit is per user.
    elsewhere = await ask(running, EN_GUILD, "feeds add", {"url": feeds.url("en.rss")}, ADMIN)
    assert elsewhere.content == (
        "⚠️ You have tried to add feeds too often. Try again in 10 minutes."
    )
    assert len(feeds.hits) == 3

    # Another admin of the same server has the server's two attempts left.
    for _ in range(2):
        await ask(running, NL_GUILD, "feeds add", {"url": feeds.url("page.html")}, OWNER)
    server = await ask(running, NL_GUILD, "feeds add", {"url": feeds.url("page.html")}, OWNER)
    assert server.ephemeral
    assert server.content == (
        "⚠️ Op deze server is te vaak geprobeerd feeds toe te voegen. "
        "Probeer het over 10 minuten opnieuw."
    )
    assert len(feeds.hits) == 5


async def test_parallel_attempts_cannot_pass_the_limits(running: Running) -> None:
    running.services.settings.feeds_allow_private = True
    fake, feeds = running.fake, running.feeds
    feeds.hits.clear()
    handles = await asyncio.gather(
        *(
            fake.slash(
                EN_GUILD,
                EN_CHANNEL,
                user,
                "feeds add",
                {"url": feeds.url("page.html") + f"?n={n}"},
                locale="en-US",
            )
            for n in range(4)
            for user in (OWNER, ADMIN)
        )
    )
    replies = [await handle.wait_final() for handle in handles]
    limited = [r for r in replies if "too often" in r.content]
    # Five for the server (at most three per user), whoever came first.
    assert len(limited) == 3 and len(feeds.hits) == 5, [r.content for r in replies]
    assert all(r.ephemeral for r in replies)


async def test_the_validation_download_is_capped(running: Running) -> None:
    running.services.settings.feeds_allow_private = True
    body = "Bitcoin and ether moved sideways as traders waited for the Fed. " * 20
    items = [(f"Market wrap {n}", f"https://big.example/{n}", body) for n in range(40)]
    running.feeds.docs["big.rss"] = rss("Big Crypto Wire", items, "en")
    assert 20_000 < len(running.feeds.docs["big.rss"]) < running.settings.http_max_bytes

    reply = await ask(running, NL_GUILD, "feeds add", {"url": running.feeds.url("big.rss")}, ADMIN)
    assert reply.ephemeral and reply.content == "⚠️ Die feed is te groot."
    # The periodic pass keeps HTTP_MAX_BYTES: the same document is fetched there.
    spec = FeedSpec("Big Crypto Wire", running.feeds.url("big.rss"), "en")
    report = await ingest(running.services, feeds=[spec])
    assert [(r.status, r.entries) for r in report.feeds] == [("ok", 40)]


async def test_a_full_server_is_refused_before_any_download(running: Running) -> None:
    running.services.settings.feeds_allow_private = True
    running.services.settings.guild_feed_limit = 1
    feeds = running.feeds
    added = await ask(running, NL_GUILD, "feeds add", {"url": feeds.url("extra.rss")}, ADMIN)
    assert "Altcoin Weekly" in added.content
    feeds.hits.clear()
    full = await ask(running, NL_GUILD, "feeds add", {"url": feeds.url("page.html")}, OWNER)
    assert full.ephemeral
    assert full.content == "⚠️ Deze server heeft al 1 eigen feeds; verwijder er eerst een."
    assert feeds.hits == []
