"""Background jobs of the bot process: the news pipeline, the market refresh, guild upkeep.

Each job is a long-lived coroutine started in `CryptoBot.setup_hook` and cancelled in
`close()`; one failed pass is logged and the next one runs on schedule.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from bot.guilds.membership import purge_removed_guilds
from bot.guilds.ratelimit import forget_attempts
from bot.market.refresh import market_refresh_loop
from bot.news.pipeline import IngestReport, ingest
from bot.runtime.health import PipelineRun, record_pipeline_run
from bot.runtime.services import Services
from bot.sentiment.store import score_pending
from bot.storage.dataversion import bump_data_version
from bot.translate.step import TranslationPass

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class PassReport:
    ingest: IngestReport
    scored: int
    translated: int = 0


async def pipeline_pass(services: Services) -> PassReport:
    """Fetch due feeds, store new articles, then score everything not yet scored.

    The pass is recorded in the database for `python -m bot status` (it may run in a
    pipeline process of its own).
    """
    backend = await services.sentiment()
    scored = 0
    settings = services.settings
    translate = TranslationPass(
        services.db,
        services.translators,
        default_language=settings.default_language,
        limit=settings.translation_per_pass,
    )

    async def publish() -> None:
        """Score (and translate) what is stored and let commands see it, without waiting
        for slow feeds."""
        nonlocal scored
        scored += await score_pending(
            services.db, backend, batch_size=services.settings.sentiment_batch_size
        )
        services.reads.invalidate()
        if await translate():
            services.reads.invalidate()
        await bump_data_version(services.db)  # readers in other processes (bot/runtime/dataversion)

    report = await ingest(services, publish=publish)
    await publish()
    run = PipelineRun(
        started_at=report.started_at,
        finished_at=datetime.now(UTC),
        ok=True,
        new_articles=report.new_articles,
        feeds=len(report.feeds),
        scored=scored,
        translated=translate.report.translated,
        backend=backend.name,
        model=backend.model,
    )
    await record_pipeline_run(services.db, run)
    log.info(
        "pipeline pass: %d new articles from %d feeds, %d scored, %d translated in %.1f s",
        report.new_articles,
        len(report.feeds),
        scored,
        translate.report.translated,
        report.seconds,
    )
    return PassReport(report, scored, translate.report.translated)


async def news_loop(services: Services) -> None:
    while True:
        started = datetime.now(UTC)
        try:
            await pipeline_pass(services)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one bad pass must not end the loop
            log.exception("pipeline pass failed")
            await _record_failure(services, started, exc)
        # Failing feeds also keep their own next_fetch_at (backoff) and are skipped until due.
        await asyncio.sleep(services.settings.fetch_interval)


async def _record_failure(services: Services, started: datetime, exc: Exception) -> None:
    failed = PipelineRun(started, datetime.now(UTC), ok=False, error=f"{type(exc).__name__}: {exc}")
    try:
        await record_pipeline_run(services.db, failed)
    except Exception:  # the database itself may be what failed
        log.warning("could not record the failed pipeline pass", exc_info=True)


GUILD_UPKEEP_SECONDS = 3600


async def guild_upkeep(services: Services, *, now: datetime) -> list[int]:
    """Purge the servers removed longer than GUILD_RETENTION_DAYS ago; forget /feeds add
    attempts no window counts any more. Returns the purged servers."""
    settings = services.settings
    purged = await purge_removed_guilds(
        services.db, retention=timedelta(days=settings.guild_retention_days), now=now
    )
    window = timedelta(seconds=settings.feeds_add_window_seconds)
    await forget_attempts(services.db, older_than=now - window)
    if purged:
        services.reads.invalidate()
    return purged


async def guild_upkeep_loop(services: Services) -> None:
    while True:
        try:
            await guild_upkeep(services, now=datetime.now(UTC))
        except asyncio.CancelledError:
            raise
        except Exception:  # the next round runs on schedule
            log.exception("guild upkeep failed")
        await asyncio.sleep(GUILD_UPKEEP_SECONDS)


def background_jobs(services: Services) -> dict[str, Job]:
    return {
        "news": partial(news_loop, services),
        "market": partial(market_refresh_loop, services.db, services.http, services.settings),
        "guilds": partial(guild_upkeep_loop, services),
    }
