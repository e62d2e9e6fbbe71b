"""End-to-end fixtures: the real bot (create_bot, as `python -m bot run` builds it) against the
fake Discord, with news ingested from a local HTTP feed server through the real pipeline.

The plain functions behind them (start_bot, rss, ...) are in tests/harness.py, which the
benchmarks share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
from aiohttp import web

from bot.config import Settings, load_settings
from bot.discord.client import CryptoBot
from bot.market.signal import ensure_bundled_history
from bot.runtime.jobs import pipeline_pass
from bot.runtime.services import Services, open_services
from bot.utils.http.addresses import AddressPolicy
from tests.fakediscord import Channel, FakeDiscord, Guild, Member, Overwrite, Perm, Role
from tests.harness import (
    ADMIN,
    ALICE,
    OWNER,
    fake_discord_settings,
    rss,
    serve_app,
    start_bot,
    stop_bot,
    write_feeds_file,
)

NL_GUILD, EN_GUILD = 4194305, 8388609
NL_CHANNEL, EN_CHANNEL = 2001, 3001
NL_NO_EMBEDS = 2002  # a channel where @everyone (and so the bot) may not embed links
NL_DIGEST = 2003
MOD_ROLE_NL, MOD_ROLE_EN = 5001, 5002

LONG_TITLE = "Bitcoin " + "record after record as ETF inflows keep coming " * 7  # ~340 chars


EN_ITEMS = [
    (
        "Bitcoin surges past $100,000 as ETF inflows hit record",
        "https://en.example/btc-100k",
        "Bitcoin rallied to a new all-time high on Tuesday as spot ETF inflows hit a record.",
    ),
    (
        "@everyone Ethereum exchange hacked, $50 million drained",
        "https://en.example/eth-hack",
        "Attackers drained $50 million in ether from a hot wallet; withdrawals are paused.",
    ),
    (LONG_TITLE, "https://en.example/long", "A very long headline for the embed limits."),
    (
        "Solana network stalls again as validators restart",
        "https://en.example/sol-outage",
        "Solana block production halted for two hours before validators restarted the chain.",
    ),
]
NL_ITEMS = [
    (
        "Bitcoin stijgt naar recordhoogte boven 100.000 dollar",
        "https://nl.example/bitcoin-record",
        "De koers van bitcoin brak dinsdag door de 100.000 dollar dankzij instroom in ETF's.",
    ),
    (
        "XRP koers daalt na uitspraak van de rechter",
        "https://nl.example/xrp-daalt",
        "De XRP koers daalde fors nadat de rechter de zaak tegen Ripple heropende.",
    ),
]


EXTRA_ITEMS = [
    (
        "Cardano upgrade goes live on mainnet",
        "https://extra.example/ada-upgrade",
        "The Cardano hard fork went live on Tuesday without incident.",
    ),
]


@dataclass
class FeedServer:
    base: str
    docs: dict[str, bytes]
    hits: list[str]  # the names requested, in order

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    docs = {
        "en.rss": rss("English Crypto Daily", EN_ITEMS, "en"),
        "nl.rss": rss("Crypto Nieuws NL", NL_ITEMS, "nl"),
        "page.html": b"<!doctype html><html><body>not a feed</body></html>",
        "extra.rss": rss("Altcoin Weekly", EXTRA_ITEMS, "en"),
    }

    hits: list[str] = []

    async def serve(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        hits.append(name)
        if name not in docs:
            raise web.HTTPNotFound()
        kind = "text/html" if name.endswith(".html") else "application/rss+xml"
        return web.Response(body=docs[name], content_type=kind)

    app = web.Application()
    app.router.add_get("/{name}", serve)
    async with serve_app(app) as base:
        yield FeedServer(base, docs, hits)


def world() -> list[Guild]:
    return [
        Guild(
            id=NL_GUILD,
            name="Crypto NL",
            owner_id=OWNER.id,
            preferred_locale="nl",
            channels=[
                Channel(NL_CHANNEL, "algemeen"),
                Channel(NL_DIGEST, "dagelijks"),
                Channel(
                    NL_NO_EMBEDS,
                    "alleen-tekst",
                    overwrites=[Overwrite(NL_GUILD, deny=int(Perm.EMBED_LINKS))],
                ),
            ],
            roles=[Role(MOD_ROLE_NL, "mods", permissions=int(Perm.MANAGE_GUILD))],
            members=[Member(OWNER), Member(ADMIN, roles=[MOD_ROLE_NL]), Member(ALICE)],
        ),
        Guild(
            id=EN_GUILD,
            name="Crypto EN",
            owner_id=OWNER.id,
            preferred_locale="en-US",
            channels=[Channel(EN_CHANNEL, "general")],
            roles=[Role(MOD_ROLE_EN, "mods", permissions=int(Perm.MANAGE_GUILD))],
            members=[Member(OWNER), Member(ADMIN, roles=[MOD_ROLE_EN]), Member(ALICE)],
        ),
    ]


# The feed server poses as a public site for the pipeline's feed client: that client trusts
# 127.0.0.1 as public. /feeds add still judges by FEEDS_ALLOW_PRIVATE (off by default), so
# adding the same loopback URL is refused until a test turns the setting on.
LOOPBACK_FEEDS = AddressPolicy.trusting("127.0.0.1/32")


@dataclass
class Running:
    fake: FakeDiscord
    bot: CryptoBot
    services: Services
    settings: Settings
    feeds: FeedServer


def bot_settings(tmp_path: Path, fake: FakeDiscord, feeds: FeedServer, **extra: object) -> Settings:
    feeds_file = write_feeds_file(
        tmp_path / "feeds.toml",
        [
            ("English Crypto Daily", feeds.url("en.rss"), "en"),
            ("Crypto Nieuws NL", feeds.url("nl.rss"), "nl"),
        ],
    )
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        **fake_discord_settings(fake),
        "feeds_file": feeds_file,
        "sentiment_backend": "lexicon",
        # Tests add many feeds; tests/discord/test_limits.py sets the real limits.
        "feeds_add_per_guild": 1000,
        "feeds_add_per_user": 1000,
    }
    values.update(extra)
    return load_settings(**values)


@pytest.fixture
def restore_endpoints() -> Iterator[None]:
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
def bot_overrides() -> dict[str, object]:
    """Extra settings for the `running` bot; a test module overrides this fixture."""
    return {}


@pytest.fixture
async def running(
    tmp_path: Path,
    feed_server: FeedServer,
    restore_endpoints: None,
    bot_overrides: dict[str, object],
) -> AsyncIterator[Running]:
    async with FakeDiscord(world()) as fake:
        settings = bot_settings(tmp_path, fake, feed_server, **bot_overrides)
        async with open_services(settings, feed_policy=LOOPBACK_FEEDS) as services:
            await pipeline_pass(services)
            await ensure_bundled_history(services.db, settings)
            bot, task = await start_bot(settings, services)
            try:
                yield Running(fake, bot, services, settings, feed_server)
            finally:
                await stop_bot(bot, task)
        assert fake.unhandled == []


Check = Callable[[object], bool]
