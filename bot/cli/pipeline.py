"""`python -m bot pipeline`: feeds, scoring and market refresh without Discord (Procfile).

Run exactly one of these next to any number of bot processes started with
PIPELINE_ENABLED=false; they all share DATABASE_URL (docs/scaling.md). `--once` does a
single pass of each job and exits (cron, tests). `--supervised` is how `python -m bot run`
starts it as its child (bot/runtime/supervisor.py): it also stops when its stdin closes, so it
never outlives the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import Any

from bot.config import Settings
from bot.market.refresh import refresh_market
from bot.runtime.jobs import Job, background_jobs, pipeline_pass
from bot.runtime.services import open_services
from bot.runtime.supervisor import stop_on_stdin_eof
from bot.runtime.tuning import settle_after_startup

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "pipeline", help="run the feed, scoring and market jobs without Discord"
    )
    parser.add_argument("--once", action="store_true", help="one pass of each job, then exit")
    parser.add_argument(
        "--supervised", action="store_true", help="(used by `run`) also stop when stdin closes"
    )
    parser.set_defaults(handler=handle)


async def run_once(settings: Settings) -> int:
    async with open_services(settings) as services:
        await refresh_market(services.db, services.http, settings)
        report = await pipeline_pass(services)
    ok = any(r.status in ("ok", "not_modified") for r in report.ingest.feeds)
    return 0 if ok or not report.ingest.feeds else 1


async def run_forever(settings: Settings, *, supervised: bool = False) -> int:
    """Every job until SIGTERM/SIGINT; a crashed job is logged and restarted by its loop."""
    async with open_services(settings) as services:
        await services.sentiment()  # the model loads once, before the start-up objects settle
        settle_after_startup()
        tasks: list[asyncio.Task[None]] = [
            asyncio.create_task(_run(job), name=name)
            for name, job in background_jobs(services).items()
        ]

        def stop() -> None:
            for task in tasks:
                task.cancel()

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):  # not on Windows
                loop.add_signal_handler(signum, stop)
        if supervised:
            stop_on_stdin_eof(loop, stop)
        log.info("pipeline running: %s", ", ".join(t.get_name() for t in tasks))
        results = await asyncio.gather(*tasks, return_exceptions=True)
    for task, result in zip(tasks, results, strict=True):
        if isinstance(result, Exception):
            log.error("pipeline job %s ended: %r", task.get_name(), result)
            return 1
    return 0


async def _run(job: Job) -> None:
    await job()


def handle(args: argparse.Namespace, settings: Settings) -> int:
    if args.once:
        return asyncio.run(run_once(settings))
    return asyncio.run(run_forever(settings, supervised=args.supervised))
