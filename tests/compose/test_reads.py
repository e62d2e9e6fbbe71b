"""Reads: every answer from the asking server's feed set, shared by servers with the same set."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.compose.news import NewsBrief
from bot.compose.reads import Reads
from bot.config import Settings
from bot.guilds.feeds import default_feed_ids, remove_guild_feed
from bot.market.report import SignalReport
from bot.runtime.services import open_services
from bot.sentiment.aggregate import SentimentSummary
from bot.storage import Database
from bot.storage.dataversion import bump_data_version
from bot.utils.cache import ReadCache
from tests.compose.seed import HOSTILE, OTHER, PHISH, seed_tenants
from tests.delivery.live_support import add_article

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Amsterdam")
T = TypeVar("T")


async def no_signal(now: datetime) -> SignalReport | None:
    return None


async def test_feed_sets_are_the_defaults_outside_a_server(db: Database) -> None:
    tenants = await seed_tenants(db, NOW)
    reads = Reads(db, ReadCache())
    assert await default_feed_ids(db) == tenants.defaults  # never a feed a server added
    assert await reads.feed_ids(None) == tuple(tenants.defaults)
    assert await reads.feed_ids(OTHER) == tuple(tenants.defaults)
    assert await reads.feed_ids(HOSTILE) == tuple(sorted(tenants.defaults + tenants.hostile))


async def test_only_the_server_that_added_feeds_reads_them(db: Database) -> None:
    await seed_tenants(db, NOW)
    reads = Reads(db, ReadCache())
    for guild in (None, OTHER):  # a DM, another server
        news = await reads.news(guild, now=NOW, hours=24, coin=None, language=None)
        assert news.items and all(i.story.title != PHISH for i in news.items)
        mood = await reads.sentiment(guild, now=NOW, period="24h", coin=None)
        assert mood.current.articles == 3
        coin = await reads.sentiment(guild, now=NOW, period="24h", coin="HBAR")
        assert coin.current.articles == 0
        assert (await reads.coin_suggestions(guild, ""))[:2] == ["BTC", "ETH"]
        digest = await reads.digest(guild, language="en", now=NOW, signal=no_signal, zone=ZONE)
        assert digest.stories and all(s.title != PHISH for s in digest.stories)
        assert "HBAR" not in {c.symbol for c in digest.coins} and digest.mood.articles == 3
        about = await reads.about(guild)
        assert about.feeds_by_language == {"en": 1, "nl": 1} and about.articles == 3

    news = await reads.news(HOSTILE, now=NOW, hours=24, coin=None, language=None)
    assert news.items[0].story.title == PHISH  # six outlets: its own top story
    assert (await reads.sentiment(HOSTILE, now=NOW, period="24h", coin=None)).current.articles == 9
    phish = await reads.sentiment(HOSTILE, now=NOW, period="24h", coin="HBAR")
    assert phish.current.articles == 6
    assert (await reads.coin_suggestions(HOSTILE, ""))[0] == "HBAR"
    digest = await reads.digest(HOSTILE, language="nl", now=NOW, signal=no_signal, zone=ZONE)
    assert PHISH in {s.title for s in digest.stories} and digest.coins[0].symbol == "HBAR"
    about = await reads.about(HOSTILE)
    assert about.feeds_by_language == {"en": 7, "nl": 1} and about.articles == 9


async def test_servers_with_the_same_feed_set_share_one_answer(db: Database) -> None:
    await seed_tenants(db, NOW)
    reads = Reads(db, ReadCache())
    ask = {"now": NOW, "hours": 24, "coin": None, "language": None}
    other = await reads.news(OTHER, **ask)  # type: ignore[arg-type]
    assert await reads.news(333, **ask) is other  # type: ignore[arg-type]
    assert await reads.news(None, **ask) is other  # type: ignore[arg-type]
    assert await reads.news(HOSTILE, **ask) is not other  # type: ignore[arg-type]
    mood = await reads.sentiment(OTHER, now=NOW, period="7d", coin=None)
    assert await reads.sentiment(333, now=NOW, period="7d", coin=None) is mood
    assert await reads.sentiment(HOSTILE, now=NOW, period="7d", coin=None) is not mood


async def test_a_server_that_reads_no_feeds_sees_nothing(db: Database) -> None:
    tenants = await seed_tenants(db, NOW)
    reads = Reads(db, ReadCache())
    for feed_id in tenants.defaults:  # a server switches every default off
        await remove_guild_feed(db, 333, feed_id)
    ask = {"now": NOW, "hours": 24, "coin": None, "language": None}
    assert (await reads.news(None, **ask)).items  # type: ignore[arg-type]
    assert await reads.feed_ids(333) == ()
    assert (await reads.news(333, **ask)).items == []  # type: ignore[arg-type]
    assert (await reads.sentiment(333, now=NOW, period="24h", coin=None)).current.articles == 0
    assert await reads.coin_suggestions(333, "hb") == ["HBAR"]  # the static list only
    digest = await reads.digest(333, language="en", now=NOW, signal=no_signal, zone=ZONE)
    assert digest.is_empty and digest.coins == ()


async def replaced(ask: Callable[[], Awaitable[T]], previous: T) -> T:
    """The first answer other than `previous` (the background recomputation landed)."""
    for _ in range(2000):
        answer = await ask()
        if answer is not previous:
            return answer
        await asyncio.sleep(0.005)  # its queries run in the driver's threads or sockets
    raise AssertionError("the answer was never recomputed")


async def test_new_data_from_the_pipeline_replaces_answers_in_the_background(
    settings: Settings, db: Database
) -> None:
    """The pipeline process (`db`, its own engine) stores a story and publishes; the Discord
    process's next /news and /sentiment get the previous answer at once, then the new one."""
    tenants = await seed_tenants(db, NOW)
    async with open_services(settings) as services:  # the Discord process
        reads = services.reads
        await services.data_watch.poll()

        def news() -> Awaitable[NewsBrief]:
            return reads.news(OTHER, now=NOW, hours=24, coin=None, language=None)

        def mood() -> Awaitable[SentimentSummary]:
            return reads.sentiment(OTHER, now=NOW, period="24h", coin=None)

        old_news, old_mood = await news(), await mood()
        await add_article(db, NOW, feed=tenants.defaults[0], title="Solana doubles", coins=("SOL",))
        await bump_data_version(db)
        await services.data_watch.poll()
        assert await news() is old_news and await mood() is old_mood  # at once
        new_news, new_mood = await replaced(news, old_news), await replaced(mood, old_mood)
        assert "Solana doubles" in [i.story.title for i in new_news.items]
        assert new_mood.current.articles == old_mood.current.articles + 1
