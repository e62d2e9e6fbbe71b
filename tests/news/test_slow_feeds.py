"""Slow feeds: they back off like failing ones, and a pass never makes the others wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import Settings, load_settings
from bot.news.feeds import FeedSpec
from bot.news.fetch import Conditional, FetchResult, FetchStatus, HttpFetcher
from bot.news.pipeline import ingest
from bot.news.state import FeedState, advance
from bot.news.tables import articles
from bot.runtime.services import Services, open_services
from tests.news.conftest import FaultServer, saved

NOW = datetime(2025, 12, 13, 8, tzinfo=UTC)
INTERVAL = timedelta(minutes=10)


def test_a_slow_answer_backs_off_like_a_failure_but_keeps_its_validators() -> None:
    state = FeedState(1, initialized=True)
    slow = FetchResult(FetchStatus.OK, url="u", etag='"v2"', seconds=12.5)
    after = advance(state, slow, now=NOW, interval=INTERVAL, slow_after=8.0)
    assert after.failures == 1 and after.last_error == "slow: 12.5 s"
    assert after.etag == '"v2"' and after.last_ok_at == NOW
    assert after.next_fetch_at == NOW + INTERVAL
    again = advance(after, slow, now=NOW + INTERVAL, interval=INTERVAL, slow_after=8.0)
    assert again.failures == 2
    assert again.next_fetch_at == NOW + 3 * INTERVAL  # doubled, as for a failing feed
    assert not again.is_due(NOW + 2 * INTERVAL)


def test_a_quick_answer_clears_the_slow_backoff() -> None:
    slowed = FeedState(1, failures=3, last_error="slow: 9.0 s", initialized=True)
    quick = FetchResult(FetchStatus.NOT_MODIFIED, url="u", seconds=0.2)
    after = advance(slowed, quick, now=NOW, interval=INTERVAL, slow_after=8.0)
    assert after.failures == 0 and after.last_error is None


@pytest.fixture
def settings_(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", feeds_allow_private=True, http_timeout=5.0)


async def test_the_fetcher_measures_each_fetch(
    settings_: Settings, fault_server: FaultServer
) -> None:
    async with open_services(settings_) as svc:
        fetch = HttpFetcher(svc.feeds_http, max_bytes=1_000_000, per_host=2, timeout=5.0)
        result = await fetch(fault_server.url("/feed/theblock_en_20251212.rss"), Conditional())
    assert result.status is FetchStatus.OK
    assert result.seconds is not None and 0 <= result.seconds < 5.0


class HeldFetcher:
    """Fast feeds answer at once; 'slow' ones answer only when the test releases them."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.pending = 0

    async def __call__(self, url: str, conditional: Conditional) -> FetchResult:
        name = url.rsplit("/", 1)[-1]
        if name.startswith("slow"):
            self.pending += 1
            await self.release.wait()
            self.pending -= 1
            name = "theblock_en_20251212.rss"
        return FetchResult(
            FetchStatus.OK,
            body=saved(name),
            headers={"content-type": "application/rss+xml", "content-location": url},
            url=url,
        )


@pytest.fixture
async def services(settings_: Settings) -> AsyncIterator[Services]:
    async with open_services(settings_) as svc:
        yield svc


async def test_fast_feeds_are_published_while_slow_ones_are_pending(services: Services) -> None:
    """Ten slow feeds on one host must not hold back the others: what is stored is clustered
    and published (scored, made visible) while the slow ones are still being fetched."""
    fetcher = HeldFetcher()
    specs = [FeedSpec("fast", "http://fast.example/newsbit_nl_sample.rss", "nl")]
    specs += [FeedSpec(f"slow {n}", f"http://slow.example/slow{n}", "en") for n in range(10)]
    seen: list[tuple[int, int, int]] = []  # (pending slow fetches, articles, clustered)

    async def publish() -> None:
        async with services.db.connection() as conn:
            stored = await conn.scalar(sa.select(sa.func.count()).select_from(articles))
            clustered = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(articles)
                .where(articles.c.story_id.is_not(None))
            )
        seen.append((fetcher.pending, int(stored or 0), int(clustered or 0)))
        fetcher.release.set()  # the slow host answers only after the first publish

    report = await asyncio.wait_for(
        ingest(services, feeds=specs, fetcher=fetcher, now=NOW, publish=publish, publish_every=0),
        timeout=30,
    )
    assert seen, "nothing was published before the pass ended"
    pending, stored, clustered = seen[0]
    assert pending == 10  # all slow feeds were still out
    assert stored > 0 and clustered == stored  # the fast feed's articles, already clustered
    assert report.new_articles > stored  # the slow feeds landed afterwards, in the same pass
