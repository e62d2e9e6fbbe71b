"""Articles are keyed per feed: the same link from two feeds is one story with two sources, a
feed repeating another outlet's links cannot take its articles, repeated GUIDs keep every item."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.config import load_settings
from bot.news.feeds import FeedSpec
from bot.news.fetch import Conditional, Fetcher, FetchResult, FetchStatus
from bot.news.pipeline import ingest
from bot.news.query import top_stories
from bot.news.tables import articles, feeds, stories
from bot.runtime.services import Services, open_services
from tests.news.conftest import saved

NOW = datetime(2025, 12, 13, 8, tzinfo=UTC)


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with open_services(load_settings(data_dir=tmp_path / "data")) as svc:
        yield svc


async def _count(svc: Services, table: sa.Table) -> int:
    async with svc.db.connection() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def _serve(documents: dict[str, bytes]) -> Fetcher:
    """A fetcher answering each URL with its document (a later pass may replace one)."""

    async def fetch(url: str, conditional: Conditional) -> FetchResult:
        return FetchResult(FetchStatus.OK, body=documents[url], url=url)

    return fetch


def _rss(*items: tuple[str, str, str], title: str = "Test feed") -> bytes:
    """An RSS document of (guid, link, title) items."""
    body = "".join(
        f"<item><guid isPermaLink='false'>{guid}</guid><link>{link}</link>"
        f"<title>{headline}</title><pubDate>Sat, 13 Dec 2025 07:00:00 +0000</pubDate></item>"
        for guid, link, headline in items
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title>"
        f"<link>https://x.example/</link>{body}</channel></rss>"
    ).encode()


async def _rows_by_link(svc: Services) -> dict[str, list[Any]]:
    async with svc.db.connection() as conn:
        rows = (
            await conn.execute(
                sa.select(articles.c.link, articles.c.story_id, feeds.c.name).join(
                    feeds, feeds.c.id == articles.c.feed_id
                )
            )
        ).all()
    by_link: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_link[row.link].append(row)
    return by_link


async def _assert_one_story_two_sources(svc: Services, names: set[str], now: datetime) -> None:
    by_link = await _rows_by_link(svc)
    for link, rows in by_link.items():
        assert {r.name for r in rows} == names, link
        assert len({r.story_id for r in rows}) == 1 and rows[0].story_id is not None, link
    views = await top_stories(svc.db, now=now, hours=48, limit=1000)
    assert views
    for view in views:
        assert set(view.sources) == names


async def test_same_link_in_two_feeds_is_stored_by_both(services: Services) -> None:
    """Two feeds with the same links in one pass: both store all of them, one story each."""
    body = saved("theblock_en_20251212.rss")
    documents = {"https://a.example/feed": body, "https://b.example/feed": body}
    specs = [
        FeedSpec("A", "https://a.example/feed", "en"),
        FeedSpec("B", "https://b.example/feed", "en"),
    ]
    report = await ingest(services, feeds=specs, fetcher=_serve(documents), now=NOW)
    assert [r.new for r in report.feeds] == [19, 19]
    assert await _count(services, articles) == 38
    await _assert_one_story_two_sources(services, {"A", "B"}, NOW)


async def test_a_feed_repeating_coindesk_links_does_not_take_its_articles(
    services: Services,
) -> None:
    """A server's feed stores CoinDesk's links first; CoinDesk still stores every article,
    and each one joins the copy's story: one story, two sources."""
    body = saved("coindesk_en_20251212.rss")
    copycat = FeedSpec("Copycat", "https://copycat.example/feed", "en")
    coindesk = FeedSpec("CoinDesk", "https://www.coindesk.com/arc/outboundfeeds/rss/", "en")
    documents = {copycat.url: body, coindesk.url: body}
    first = await ingest(services, feeds=[copycat], fetcher=_serve(documents), now=NOW)
    assert first.new_articles == 25
    later = NOW + timedelta(minutes=10)
    second = await ingest(services, feeds=[copycat, coindesk], fetcher=_serve(documents), now=later)
    assert {r.feed.name: r.new for r in second.feeds} == {"Copycat": 0, "CoinDesk": 25}
    await _assert_one_story_two_sources(services, {"Copycat", "CoinDesk"}, later)
    async with services.db.connection() as conn:
        counts = (await conn.execute(sa.select(stories.c.article_count))).scalars().all()
    assert sum(counts) == 50 and all(n >= 2 for n in counts)


async def test_a_short_title_joins_the_story_of_its_link(services: Services) -> None:
    """Titles too short to cluster on ('Bitcoin'): the same link still makes one story."""
    item = ("a-1", "https://news.example/bitcoin", "Bitcoin")
    a = FeedSpec("A", "https://a.example/feed", "en")
    b = FeedSpec("B", "https://b.example/feed", "en")
    documents = {a.url: _rss(item), b.url: _rss(("b-1", item[1], item[2]))}
    await ingest(services, feeds=[a], fetcher=_serve(documents), now=NOW)
    report = await ingest(services, feeds=[a, b], fetcher=_serve(documents), now=NOW)
    assert [r.new for r in report.feeds] == [0, 1]
    await _assert_one_story_two_sources(services, {"A", "B"}, NOW)


async def test_a_copied_link_under_another_title_does_not_join_its_story(
    services: Services,
) -> None:
    """A link alone is whatever a feed claims: CoinDesk's article is not pulled into the
    story of a feed that put CoinDesk's link under a headline of its own."""
    link = "https://www.coindesk.com/markets/2025/12/12/bitcoin-slides"
    spam = FeedSpec("Spam", "https://spam.example/feed", "en")
    coindesk = FeedSpec("CoinDesk", "https://coindesk.example/feed", "en")
    documents = {
        spam.url: _rss(("s-1", link, "Claim your SCAMCOIN airdrop today")),
        coindesk.url: _rss(("c-1", link, "Bitcoin slides below $90,000 as ETF outflows grow")),
    }
    await ingest(services, feeds=[spam], fetcher=_serve(documents), now=NOW)
    report = await ingest(services, feeds=[spam, coindesk], fetcher=_serve(documents), now=NOW)
    assert [r.new for r in report.feeds] == [0, 1]
    rows = (await _rows_by_link(services))[link]
    assert len(rows) == 2 and len({r.story_id for r in rows}) == 2


async def test_a_feed_repeating_one_guid_keeps_every_item(services: Services) -> None:
    """Real feeds give every item the same GUID (the site's address, say): those items are
    keyed by their links, in the document and against what the feed stored before."""
    feed = FeedSpec("Same GUID", "https://same.example/feed", "en")
    guid = "https://same.example/"

    def item(n: str) -> tuple[str, str, str]:
        return (guid, f"https://same.example/{n}", f"Headline number {n} about ether staking")

    documents = {feed.url: _rss(item("one"))}

    async def new() -> int:
        report = await ingest(services, feeds=[feed], fetcher=_serve(documents), now=NOW)
        return report.feeds[0].new

    assert await new() == 1
    # The GUID again, with another link: against the row stored before.
    documents[feed.url] = _rss(item("two"))
    assert await new() == 1
    # The GUID four times in one document: two new items, two stored ones.
    documents[feed.url] = _rss(item("three"), item("four"), item("one"), item("two"))
    assert await new() == 2
    assert await new() == 0
    assert await _count(services, articles) == 4
