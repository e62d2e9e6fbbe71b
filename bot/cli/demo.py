"""`python -m bot demo`: the main job, offline, on a fresh data directory.

A sequence of steps over one DemoContext; each step prints its own section. Later features
(sentiment, the market signal, the digest) are added as further steps in STEPS.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import Services, open_services
from bot.cli.fetch import progress_line
from bot.cli.news import format_stories
from bot.config import Settings
from bot.i18n import N_, Language, _, fmt_date, use_language
from bot.news.pipeline import FeedReport, IngestReport, ingest
from bot.news.query import latest_article_time, top_stories
from bot.news.samples import sample_feeds


@dataclass
class DemoContext:
    services: Services
    language: Language  # the language of the progress lines
    # The sample feeds are dated: "now" is the newest article's time, set by the ingest step.
    now: datetime | None = None
    ingest_report: IngestReport | None = None


Step = Callable[[DemoContext], Awaitable[None]]


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def step_ingest(ctx: DemoContext) -> None:
    specs, fetcher = sample_feeds()

    def progress(report: FeedReport, done: int, total: int) -> None:
        say("    " + progress_line(report, done, total))

    ctx.ingest_report = await ingest(ctx.services, feeds=specs, fetcher=fetcher, progress=progress)
    ctx.now = await latest_article_time(ctx.services.db)
    say(
        "    "
        + _("%(new)s articles stored from %(feeds)s feeds.")
        % {"new": ctx.ingest_report.new_articles, "feeds": len(ctx.ingest_report.feeds)}
    )


def top_stories_step(language: Language, heading: str) -> Step:
    async def step(ctx: DemoContext) -> None:
        assert ctx.now is not None, "the ingest step sets the demo's clock"
        stories = await top_stories(ctx.services.db, now=ctx.now, language=language, limit=5)
        with use_language(language):
            print(_(heading) % {"date": fmt_date(ctx.now, "long")})
            print()
            print(format_stories(stories) if stories else _("No stories."))
            print()

    return step


# (what the progress line says, the step). Append new steps here.
STEPS: list[tuple[str, Step]] = [
    (N_("Ingesting the bundled sample feeds (offline)"), step_ingest),
    (
        N_("Top stories in Dutch"),
        top_stories_step("nl", N_("Top stories from Dutch sources, as of %(date)s")),
    ),
    (
        N_("Top stories in English"),
        top_stories_step("en", N_("Top stories from English sources, as of %(date)s")),
    ),
]


async def run_demo(settings: Settings, steps: list[tuple[str, Step]] = STEPS) -> int:
    async with open_services(settings) as services:
        ctx = DemoContext(services, language=settings.default_language)
        for number, (title, step) in enumerate(steps, start=1):
            with use_language(ctx.language):
                say(f"[{number}/{len(steps)}] {_(title)}")
            await step(ctx)
    return 0


def demo_settings(settings: Settings, data_dir: Path) -> Settings:
    """The same settings on a fresh, throw-away data directory and database."""
    return settings.model_copy(update={"data_dir": data_dir, "database_url": ""})


def register(sub: Any) -> None:
    parser = sub.add_parser("demo", help="offline demo: ingest bundled feeds, print top stories")
    parser.add_argument(
        "--data-dir", type=Path, help="keep the demo database here (default: a temporary dir)"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    if not getattr(args, "log_level", None):
        # The demo talks to a person: progress lines, not INFO logs (--log-level brings them).
        logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    if args.data_dir is not None:
        return asyncio.run(run_demo(demo_settings(settings, args.data_dir)))
    with tempfile.TemporaryDirectory(prefix="cryptobot-demo-") as tmp:
        return asyncio.run(run_demo(demo_settings(settings, Path(tmp))))
