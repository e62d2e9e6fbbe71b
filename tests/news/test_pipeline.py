"""Ingest passes end to end: local server with faults, restart, backlog, missing dates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import Settings, load_settings
from bot.news.feeds import FeedSpec
from bot.news.fetch import Conditional, FetchResult, FetchStatus
from bot.news.pipeline import ingest
from bot.news.samples import SAMPLE_DIR, FileFetcher, sample_feeds
from bot.news.tables import articles, feed_state, feeds, stories
from bot.runtime.services import Services, open_services
from tests.news.conftest import FEEDS, FaultServer, saved

NOW = datetime(2025, 12, 13, 8, tzinfo=UTC)


@pytest.fixture
def fast_settings(tmp_path: Path) -> Settings:
    # The fault server is on loopback: FEEDS_ALLOW_PRIVATE lets the guarded client reach it.
    return load_settings(
        data_dir=tmp_path / "data",
        http_timeout=1.0,
        http_max_bytes=200_000,
        feeds_allow_private=True,
    )


@pytest.fixture
async def services(fast_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(fast_settings) as svc:
        yield svc


async def _count(svc: Services, table: sa.Table) -> int:
    async with svc.db.connection() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def _faulty_feeds(server: FaultServer) -> list[FeedSpec]:
    good = ["theblock_en_20251212.rss", "newsbit_nl_sample.rss"]
    bad = ["/status/403", "/status/429", "/status/500", "/status/410", "/slow", "/endless"]
    bad += ["/loop-a", "/html", "/feed/marketwatch-moved_en_nodate.rss"]
    specs = [FeedSpec(f"good {n}", server.url(f"/feed/{n}"), n.split("_")[1]) for n in good]
    return specs + [FeedSpec(f"bad {p}", server.url(p), "en") for p in bad]


async def test_faults_are_recorded_and_good_feeds_land(
    services: Services, fault_server: FaultServer
) -> None:
    report = await ingest(services, feeds=_faulty_feeds(fault_server), now=NOW)
    by_name = {r.feed.name: r for r in report.feeds}
    assert by_name["good theblock_en_20251212.rss"].new == 19
    assert by_name["good newsbit_nl_sample.rss"].new == 5
    expected = {
        "bad /status/403": ("blocked", "http_403"),
        "bad /status/429": ("blocked", "http_429"),
        "bad /status/500": ("failing", "http_500"),
        "bad /status/410": ("gone", "http_410"),
        "bad /slow": ("failing", "timeout"),
        "bad /endless": ("failing", "too_large"),
        "bad /loop-a": ("failing", "redirect_loop"),
        "bad /html": ("failing", "not_xml: text/html"),
    }
    for name, (status, error) in expected.items():
        assert (by_name[name].status, by_name[name].error) == (status, error), name
    not_feed = by_name["bad /feed/marketwatch-moved_en_nodate.rss"]
    assert not_feed.status == "failing" and (not_feed.error or "").startswith("not a feed")
    assert await _count(services, articles) == 24

    async with services.db.connection() as conn:
        rows = (
            await conn.execute(
                sa.select(feeds.c.name, feed_state).join(
                    feed_state, feed_state.c.feed_id == feeds.c.id
                )
            )
        ).all()
    states = {r.name: r for r in rows}
    for name, (status, error) in expected.items():
        assert states[name].status == status and states[name].last_error == error
        assert states[name].failures == 1
        assert states[name].next_fetch_at > NOW
    # 429 said Retry-After: 120 s, but the backoff floor is the fetch interval (600 s).
    assert states["bad /status/429"].next_fetch_at >= NOW + timedelta(seconds=600)
    assert states["good theblock_en_20251212.rss"].etag


async def test_second_pass_uses_etag_and_backoff(
    services: Services, fault_server: FaultServer
) -> None:
    specs = _faulty_feeds(fault_server)
    await ingest(services, feeds=specs, now=NOW)
    again = await ingest(services, feeds=specs, now=NOW + timedelta(minutes=1))
    by_name = {r.feed.name: r for r in again.feeds}
    assert by_name["good theblock_en_20251212.rss"].status == "not_modified"
    assert by_name["bad /status/500"].status == "skipped"  # still backing off
    assert fault_server.hits["/status/500"] == 1
    assert again.new_articles == 0
    later = await ingest(services, feeds=specs, now=NOW + timedelta(hours=2))
    assert {r.feed.name: r.status for r in later.feeds}["bad /status/500"] == "failing"
    async with services.db.connection() as conn:
        failures = await conn.scalar(
            sa.select(feed_state.c.failures)
            .join(feeds, feeds.c.id == feed_state.c.feed_id)
            .where(feeds.c.name == "bad /status/500")
        )
    assert failures == 2


async def test_refused_fetches_are_failing_feeds_with_a_reason(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    """The periodic pass goes through the SSRF guard: with FEEDS_ALLOW_PRIVATE off, a feed on
    loopback, one redirecting to a non-http scheme and a stacked encoding are refused, recorded
    as failing with their reason (what /feeds list and `status` show), and the pass goes on."""
    strict = load_settings(data_dir=tmp_path / "data", http_timeout=1.0)
    on_loopback = fault_server.url("/feed/theblock_en_20251212.rss")
    specs = [
        FeedSpec("loopback", on_loopback, "en"),
        FeedSpec("metadata", "http://169.254.169.254/latest/meta-data/", "en"),
        FeedSpec("mapped", "http://[::ffff:10.0.0.1]/rss", "en"),
    ]
    async with open_services(strict) as svc:
        report = await ingest(svc, feeds=specs, now=NOW)
        async with svc.db.connection() as conn:
            rows = (
                await conn.execute(
                    sa.select(feeds.c.name, feed_state.c.status, feed_state.c.last_error).join(
                        feed_state, feed_state.c.feed_id == feeds.c.id
                    )
                )
            ).all()
    assert {(r.feed.name, r.status, r.error) for r in report.feeds} == {
        ("loopback", "failing", "private_address"),
        ("metadata", "failing", "private_address"),
        ("mapped", "failing", "private_address"),
    }
    assert {(r.name, r.status, r.last_error) for r in rows} == {
        ("loopback", "failing", "private_address"),
        ("metadata", "failing", "private_address"),
        ("mapped", "failing", "private_address"),
    }
    assert fault_server.hits == {}  # nothing was fetched


async def test_encoding_refusals_in_the_pass(services: Services, fault_server: FaultServer) -> None:
    specs = [
        FeedSpec("stacked", fault_server.url("/encoded/gzip-gzip/theblock_en_20251212.rss"), "en"),
        FeedSpec("unknown", fault_server.url("/encoded/zstd/theblock_en_20251212.rss"), "en"),
        FeedSpec("scheme", fault_server.url("/redirect?to=file:///etc/passwd"), "en"),
        FeedSpec("gzip", fault_server.url("/encoded/gzip/theblock_en_20251212.rss"), "en"),
    ]
    report = await ingest(services, feeds=specs, now=NOW)
    by_name = {r.feed.name: (r.status, r.error) for r in report.feeds}
    assert by_name == {
        "stacked": ("failing", "unsupported_encoding"),
        "unknown": ("failing", "unsupported_encoding"),
        "scheme": ("failing", "bad_scheme"),
        "gzip": ("ok", None),
    }
    assert {r.feed.name: r.new for r in report.feeds}["gzip"] == 19


async def test_restart_ingests_nothing_twice(fast_settings: Settings) -> None:
    specs, fetcher = sample_feeds()
    async with open_services(fast_settings) as svc:
        first = await ingest(svc, feeds=specs, fetcher=fetcher, now=NOW)
        stored = await _count(svc, articles)
        story_count = await _count(svc, stories)
    assert first.new_articles == stored == 146
    # A new process on the same database file, without validators (a file fetcher).
    async with open_services(fast_settings) as svc:
        second = await ingest(svc, feeds=specs, fetcher=fetcher, now=NOW + timedelta(hours=1))
        assert second.new_articles == 0
        assert await _count(svc, articles) == stored
        assert await _count(svc, stories) == story_count


async def test_first_fetch_is_backlog_later_items_are_not(services: Services) -> None:
    feed = FeedSpec("Newsbit", "https://newsbit.nl/feed/", "nl")
    original = saved("newsbit_nl_sample.rss")
    extra = (
        b"<item><title>Nieuw: bitcoin koers stijgt weer boven $92.000</title>"
        b"<link>https://newsbit.nl/bitcoin-weer-boven-92000/</link>"
        b"<pubDate>Sat, 13 Dec 2025 07:30:00 +0000</pubDate>"
        b'<guid isPermaLink="false">https://newsbit.nl/?p=318300</guid>'
        b"<description>De bitcoin koers is weer gestegen.</description></item>"
    )
    documents = {"doc": original}

    async def fetch(url: str, conditional: Conditional) -> FetchResult:
        return FetchResult(FetchStatus.OK, body=documents["doc"], url=url)

    first = await ingest(services, feeds=[feed], fetcher=fetch, now=NOW)
    assert first.feeds[0].backlog and first.feeds[0].new == 5
    documents["doc"] = original.replace(b"<item>", extra + b"<item>", 1)
    second = await ingest(services, feeds=[feed], fetcher=fetch, now=NOW + timedelta(hours=1))
    assert not second.feeds[0].backlog and second.feeds[0].new == 1
    async with services.db.connection() as conn:
        rows = (await conn.execute(sa.select(articles.c.title, articles.c.is_backlog))).all()
    fresh = [r.title for r in rows if not r.is_backlog]
    assert fresh == ["Nieuw: bitcoin koers stijgt weer boven $92.000"]
    assert sum(r.is_backlog for r in rows) == 5


async def test_items_first_seen_long_after_publication_are_backlog(services: Services) -> None:
    feed = FeedSpec("Newsbit", "https://newsbit.nl/feed/", "nl")
    documents = {"doc": saved("newsbit_nl_sample.rss")}

    async def fetch(url: str, conditional: Conditional) -> FetchResult:
        return FetchResult(FetchStatus.OK, body=documents["doc"], url=url)

    await ingest(services, feeds=[feed], fetcher=fetch, now=NOW)
    # Back after a week away: an item from a week ago appears for the first time.
    old_item = (
        b"<item><title>Oud nieuws over ether</title><link>https://newsbit.nl/oud/</link>"
        b"<pubDate>Sat, 06 Dec 2025 07:30:00 +0000</pubDate></item>"
    )
    documents["doc"] = documents["doc"].replace(b"<item>", old_item + b"<item>", 1)
    report = await ingest(services, feeds=[feed], fetcher=fetch, now=NOW + timedelta(hours=1))
    assert report.feeds[0].new == 1 and not report.feeds[0].backlog
    async with services.db.connection() as conn:
        flag = await conn.scalar(
            sa.select(articles.c.is_backlog).where(articles.c.link == "https://newsbit.nl/oud/")
        )
    assert flag is True


async def test_entries_without_dates_get_the_first_seen_time(services: Services) -> None:
    fetcher = FileFetcher({"https://uol.example/feed": FEEDS / "uol-noticias_pt_nodate.rss"})
    feed = FeedSpec("UOL", "https://uol.example/feed", "en")
    report = await ingest(services, feeds=[feed], fetcher=fetcher, now=NOW)
    assert report.feeds[0].new == 15
    async with services.db.connection() as conn:
        rows = (
            await conn.execute(
                sa.select(articles.c.published_at, articles.c.date_estimated, articles.c.language)
            )
        ).all()
    assert all(r.published_at == NOW and r.date_estimated for r in rows)
    # Declared "en" but Portuguese text: the detector's confident answer wins for most.
    assert sum(r.language == "other" for r in rows) >= len(rows) // 2


async def test_entries_per_document_are_capped_by_the_setting(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", feed_max_entries=10)
    fetcher = FileFetcher({"https://decrypt.example/feed": SAMPLE_DIR / "decrypt_en_20251212.rss"})
    feed = FeedSpec("Decrypt", "https://decrypt.example/feed", "en")
    async with open_services(settings) as svc:
        report = await ingest(svc, feeds=[feed], fetcher=fetcher, now=NOW)
        assert (report.feeds[0].entries, report.feeds[0].new) == (10, 10)  # of 58, the newest
        async with svc.db.connection() as conn:
            oldest = await conn.scalar(sa.select(sa.func.min(articles.c.published_at)))
    assert oldest is not None and oldest.replace(tzinfo=UTC) >= datetime(2025, 12, 11, tzinfo=UTC)


async def test_cross_outlet_stories_on_the_samples(services: Services) -> None:
    specs, fetcher = sample_feeds()
    await ingest(services, feeds=specs, fetcher=fetcher, now=NOW)
    async with services.db.connection() as conn:
        counts = (await conn.execute(sa.select(stories.c.title, stories.c.article_count))).all()
        linked = await conn.scalar(
            sa.select(sa.func.count()).select_from(articles).where(articles.c.story_id.is_(None))
        )
    assert linked == 0  # every article has a story
    assert sum(c.article_count for c in counts) == 146
    assert max(c.article_count for c in counts) >= 5  # the trust-bank story, in both languages
