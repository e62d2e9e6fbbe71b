"""Background jobs of the bot process: the news pipeline and the market refresh.

Each job is a long-lived coroutine started in `CryptoBot.setup_hook` and cancelled in
`close()`; one failed pass is logged and the next one runs on schedule.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from bot.app import Services
from bot.market.refresh import market_refresh_loop
from bot.news.pipeline import IngestReport, ingest
from bot.sentiment.store import score_pending

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class PassReport:
    ingest: IngestReport
    scored: int


async def pipeline_pass(services: Services) -> PassReport:
    """Fetch due feeds, store new articles, then score everything not yet scored."""
    report = await ingest(services)
    backend = await services.sentiment()
    scored = await score_pending(
        services.db, backend, batch_size=services.settings.sentiment_batch_size
    )
    log.info(
        "pipeline pass: %d new articles from %d feeds, %d scored in %.1f s",
        report.new_articles,
        len(report.feeds),
        scored,
        report.seconds,
    )
    return PassReport(report, scored)


async def news_loop(services: Services) -> None:
    while True:
        try:
            await pipeline_pass(services)
        except asyncio.CancelledError:
            raise
        except Exception:  # one bad pass must not end the loop
            log.exception("pipeline pass failed")
        # Failing feeds also keep their own next_fetch_at (backoff) and are skipped until due.
        await asyncio.sleep(services.settings.fetch_interval)


def background_jobs(services: Services) -> dict[str, Job]:
    return {
        "news": partial(news_loop, services),
        "market": partial(market_refresh_loop, services.db, services.http, services.settings),
    }
