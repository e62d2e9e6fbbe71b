from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import load_settings
from bot.news.pipeline import ingest
from bot.news.query import known_coins, latest_article_time, top_stories
from bot.news.samples import sample_feeds
from bot.news.tables import article_coins, articles, feeds
from bot.runtime.services import Services, open_services


@pytest.fixture
async def loaded(tmp_path: Path) -> AsyncIterator[Services]:
    async with open_services(load_settings(data_dir=tmp_path / "data")) as svc:
        specs, fetcher = sample_feeds()
        await ingest(svc, feeds=specs, fetcher=fetcher)
        yield svc


async def test_latest_article_time_is_the_newest_item(loaded: Services) -> None:
    # The Block's 17:33:11 -0500 item.
    assert await latest_article_time(loaded.db) == datetime(2025, 12, 12, 22, 33, 11, tzinfo=UTC)


async def test_top_stories_rank_by_sources_then_recency(loaded: Services) -> None:
    now = await latest_article_time(loaded.db)
    assert now is not None
    top = await top_stories(loaded.db, now=now, limit=10)
    counts = [len(s.sources) for s in top]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] >= 5  # the trust-bank approvals: English and Dutch outlets
    assert len(set(top[0].sources)) == len(top[0].sources)
    assert {"en", "nl"} <= set(top[0].languages)
    assert all(now - timedelta(hours=24) < s.published_at <= now for s in top)


async def test_language_filter_keeps_that_languages_sources(loaded: Services) -> None:
    now = await latest_article_time(loaded.db)
    assert now is not None
    dutch = await top_stories(loaded.db, now=now, language="nl")
    assert dutch and all(s.languages == ["nl"] for s in dutch)
    assert all(
        set(s.sources) <= {"Crypto Insiders", "Newsbit", "Bitcoin Magazine NL"} for s in dutch
    )
    english = await top_stories(loaded.db, now=now, language="en")
    assert english and all(s.languages == ["en"] for s in english)


async def test_coin_filter_and_hours(loaded: Services) -> None:
    now = await latest_article_time(loaded.db)
    assert now is not None
    xrp = await top_stories(loaded.db, now=now, coin="xrp", limit=20)
    assert xrp and all("XRP" in s.coins for s in xrp)
    assert await top_stories(loaded.db, now=now + timedelta(days=30)) == []
    wider = await top_stories(loaded.db, now=now, hours=24 * 30, limit=500)
    narrow = await top_stories(loaded.db, now=now, hours=1, limit=500)
    assert len(narrow) < len(wider)


async def test_feed_ids_limit_the_sources(loaded: Services) -> None:
    now = await latest_article_time(loaded.db)
    assert now is not None
    top = await top_stories(loaded.db, now=now, feed_ids=[], limit=5)
    assert top == []


async def test_known_coins_most_mentioned_first(loaded: Services) -> None:
    coins = await known_coins(loaded.db)
    assert coins[0] == "BTC"
    assert {"ETH", "XRP", "SOL"} <= set(coins)


async def test_known_coins_and_latest_time_of_a_feed_set(loaded: Services) -> None:
    async with loaded.db.connection() as conn:
        rows = (await conn.execute(sa.select(feeds.c.id, feeds.c.name))).all()
    dutch = [r.id for r in rows if r.name in {"Crypto Insiders", "Newsbit"}]
    everything = await known_coins(loaded.db)
    some = await known_coins(loaded.db, feed_ids=dutch)
    assert some and set(some) < set(everything)
    async with loaded.db.connection() as conn:
        named = await conn.execute(
            sa.select(article_coins.c.coin)
            .join(articles, articles.c.id == article_coins.c.article_id)
            .where(articles.c.feed_id.in_(dutch))
        )
        assert set(some) == set(named.scalars())
    assert await known_coins(loaded.db, feed_ids=[]) == []
    newest = await latest_article_time(loaded.db, feed_ids=dutch)
    overall = await latest_article_time(loaded.db)
    assert newest is not None and overall is not None and newest <= overall
    assert await latest_article_time(loaded.db, feed_ids=[]) is None
