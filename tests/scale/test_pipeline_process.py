"""`python -m bot pipeline --once`: the pipeline without Discord stores news, scores it and
records the pass for `status`; market sources that cannot be reached do not fail it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from bot.cli.pipeline import run_once
from bot.config import load_settings
from bot.news.tables import articles
from bot.runtime.health import last_pipeline_run, unscored_articles
from bot.runtime.services import open_services
from tests.discord.conftest import EN_ITEMS, NL_ITEMS, FeedServer
from tests.harness import write_feeds_file

UNREACHABLE = "http://127.0.0.1:9/nothing"  # the discard port: connection refused at once


async def test_one_pass_stores_scores_and_records(tmp_path: Path, feed_server: FeedServer) -> None:
    feeds_file = write_feeds_file(
        tmp_path / "feeds.toml",
        [("EN", feed_server.url("en.rss"), "en"), ("NL", feed_server.url("nl.rss"), "nl")],
    )
    settings = load_settings(
        data_dir=tmp_path / "data",
        feeds_file=feeds_file,
        feeds_allow_private=True,  # the feed server is on loopback
        sentiment_backend="lexicon",
        http_timeout=2.0,
        market_yahoo_url=UNREACHABLE,
        market_binance_url=UNREACHABLE,
        market_coingecko_url=UNREACHABLE,
        market_fng_url=UNREACHABLE,
    )
    assert await run_once(settings) == 0
    async with open_services(settings) as services:
        async with services.db.connection() as conn:
            stored = await conn.scalar(sa.select(sa.func.count()).select_from(articles))
        run = await last_pipeline_run(services.db)
        backlog = await unscored_articles(services.db, run)
    assert stored == len(EN_ITEMS) + len(NL_ITEMS)
    assert run is not None and run.ok and run.new_articles == stored and run.scored == stored
    assert run.backend == "lexicon" and backlog == 0
