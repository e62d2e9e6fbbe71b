"""Cached command reads that must still change at once: a server's feed list (its own
changes, and feed states the pipeline writes) and the /signal report (a market refresh).

Two Database objects on one database stand for the Discord process and the pipeline process
(separate engines and pools, as `run` and its pipeline child have); the Discord process sees
the other's writes through the data version its watcher polls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest

from bot.compose.reads import Reads
from bot.config import Settings
from bot.guilds.feeds import remove_guild_feed
from bot.market.refresh import MarketRefresher
from bot.market.report import SignalReport
from bot.market.series import RUT
from bot.market.signal import ensure_bundled_history
from bot.market.store import load_series, upsert_points
from bot.news.state import load_states, save_state
from bot.runtime.services import open_services
from bot.storage import Database
from bot.storage.dataversion import bump_data_version, data_version
from bot.utils.cache import STALE_SECONDS, ReadCache
from bot.utils.http.client import make_http_client
from tests.compose.seed import HOSTILE, OTHER, seed_tenants
from tests.market.fakes import AFTER_CLOSE, market_settings, serve_markets

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
T = TypeVar("T")


async def new_answer(ask: Callable[[], Awaitable[T]], old: T) -> T:
    """After a publication the cache gives the previous answer for at most STALE_SECONDS
    while one recomputation runs (bot/utils/cache.py), then the new one."""
    for _ in range(round((STALE_SECONDS + 2) / 0.01)):
        answer = await ask()
        if answer is not old:
            return answer
        await asyncio.sleep(0.01)
    raise AssertionError("still the previous answer")


async def test_a_servers_feed_list_is_its_own_and_its_changes_show_at_once(db: Database) -> None:
    tenants = await seed_tenants(db, NOW)
    reads = Reads(db, ReadCache())
    hostile, other = await reads.guild_feeds(HOSTILE), await reads.guild_feeds(OTHER)
    assert {f.id for f in hostile if not f.is_default} == set(tenants.hostile)
    assert [f.id for f in other] == tenants.defaults  # never another server's feeds
    assert await reads.guild_feeds(HOSTILE) is hostile  # cached: no query
    assert await reads.guild_feeds(OTHER) is other

    gone = tenants.hostile[0]
    await remove_guild_feed(db, HOSTILE, gone)
    assert await reads.guild_feeds(HOSTILE) is hostile  # nothing told the cache yet
    reads.feeds_changed(HOSTILE)  # what /feeds add and remove do
    now = await reads.guild_feeds(HOSTILE)
    assert gone not in {f.id for f in now} and len(now) == len(hostile) - 1
    assert gone not in await reads.feed_ids(HOSTILE)  # its feed set too
    assert await reads.guild_feeds(OTHER) is other  # another server's entry is kept as is
    assert [f.id for f in other] == tenants.defaults


async def test_feed_states_written_by_the_pipeline_show_after_its_publication(
    settings: Settings, db: Database, other_db: Database
) -> None:
    tenants = await seed_tenants(other_db, NOW)
    failing = tenants.defaults[0]
    async with open_services(settings) as services:  # the Discord process
        await services.data_watch.poll()
        listed = await services.reads.guild_feeds(OTHER)
        assert all(f.status != "failing" for f in listed)

        # The pipeline process: a fetch fails, then the pass publishes.
        state = (await load_states(other_db, [failing]))[failing]
        await save_state(other_db, replace(state, status="failing", last_error="http_404"))
        await bump_data_version(other_db)
        await services.data_watch.poll()  # the watcher's next poll (every 0.5 s)
        now = await new_answer(lambda: services.reads.guild_feeds(OTHER), listed)
        [row] = [f for f in now if f.id == failing]
        assert row.status == "failing" and row.error == "http_404"


async def test_signal_report_is_shared_until_a_market_refresh_in_another_process(
    settings: Settings, db: Database, other_db: Database, tmp_path: Path
) -> None:
    await ensure_bundled_history(db, settings)
    async with open_services(settings) as services:  # the Discord process
        await services.data_watch.poll()
        first = await services.reads.signal(settings)
        assert await services.reads.signal(settings) is first  # one report per data version
        assert first.state is not None

        async with serve_markets() as markets:  # the pipeline process refreshes the market
            market = market_settings(tmp_path, markets)
            http = make_http_client(market)
            try:
                results = await MarketRefresher(other_db, http, market).refresh(now=AFTER_CLOSE)
            finally:
                await http.aclose()
        assert any(r.series == RUT and r.points for r in results)
        newest = (await load_series(other_db, RUT))[-1][0]
        assert newest > first.state.last_date

        await services.data_watch.poll()  # the watcher's next poll (every 0.5 s)
        second = await new_answer(lambda: services.reads.signal(settings), first)
        assert second.state is not None and second.state.last_date == newest


async def test_a_refresh_that_stored_nothing_publishes_nothing(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    async with serve_markets() as markets:
        for name in list(markets.replies):
            markets.replies[name] = replace(markets.replies[name], status=500)
        market = market_settings(tmp_path, markets)
        http = make_http_client(market)
        try:
            results = await MarketRefresher(db, http, market).refresh(now=AFTER_CLOSE)
        finally:
            await http.aclose()
    assert not any(r.points for r in results)
    assert await data_version(db) == 0  # readers keep their cached answers


async def test_a_chart_is_drawn_once_per_market_change_and_language(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.market.chart

    drawn: list[tuple[str, object]] = []

    def draw(report: SignalReport, language: str) -> bytes:
        drawn.append((language, report.key))
        return f"{language} {report.key}".encode()

    monkeypatch.setattr(bot.market.chart, "draw_chart", draw)
    reads = Reads(db, ReadCache())
    first = await reads.signal(settings)
    en = await reads.signal_chart(first, "en")
    assert await reads.signal_chart(first, "en") is en
    await reads.signal_chart(first, "nl")
    assert len(drawn) == 2

    reads.invalidate()  # a news publication: the market data did not change
    again = await reads.signal(settings)
    assert again is not first and again.key == first.key
    assert await reads.signal_chart(again, "en") is en and len(drawn) == 2

    assert first.state is not None  # new market data: a new drawing
    revision = datetime.now(UTC)  # a revised close, stored after the bundle
    await upsert_points(db, RUT, [(first.state.last_date, 1.0)], "yahoo", now=revision)
    reads.invalidate()
    revised = await reads.signal(settings)
    assert revised.key != first.key
    assert await reads.signal_chart(revised, "en") != en and len(drawn) == 3
