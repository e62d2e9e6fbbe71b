"""`python -m bot demo`: the main job, offline, on a fresh data directory.

A sequence of steps over one DemoContext; each step prints its own section. Later features
(sentiment, the market signal, the digest) are further steps in STEPS.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.cli.fetch import progress_line
from bot.compose.digest import DigestComposer
from bot.config import Settings
from bot.digest.text import render_digest_text
from bot.guilds.feeds import default_feed_ids
from bot.i18n import N_, Language, _, use_language
from bot.market.chart import render_chart
from bot.market.report import SignalReport, build_signal_report
from bot.market.signal import ensure_bundled_history
from bot.market.text import render_report_text
from bot.news.pipeline import FeedReport, IngestReport, ingest
from bot.news.query import latest_article_time
from bot.news.samples import sample_feeds
from bot.runtime.services import Services, open_services
from bot.sentiment.factory import describe_backend
from bot.sentiment.store import score_pending
from bot.translate.step import translate_pending


@dataclass
class DemoContext:
    services: Services
    language: Language  # the language of the progress lines
    # The sample feeds are dated: "now" is the newest article's time, set by the ingest step.
    now: datetime | None = None
    ingest_report: IngestReport | None = None
    signal: SignalReport | None = None
    chart_path: Path = Path("russell2000.png")


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


async def step_score(ctx: DemoContext) -> None:
    backend = await ctx.services.sentiment()
    scored = await score_pending(ctx.services.db, backend)
    say(
        "    "
        + _("%(n)s articles scored: %(backend)s.")
        % {"n": scored, "backend": describe_backend(backend.name, backend.model)}
    )


async def step_translate(ctx: DemoContext) -> None:
    """Both directions, as if Dutch and English servers read the news (the demo has none)."""
    services = ctx.services
    report = await translate_pending(
        services.db,
        services.translators,
        default_language=ctx.language,
        limit=services.settings.translation_per_pass,
        reading={"en", "nl"},
    )
    off = {t: services.translators.off_reason(t) for t in ("nl", "en")}
    if all(off.values()):
        reason = "; ".join(dict.fromkeys(r for r in off.values() if r))
        say("    " + _("Translation off, stories keep their language: %(why)s.") % {"why": reason})
        return
    say(
        "    "
        + _("%(n)s stories machine-translated, %(kept)s kept in the original (a check failed).")
        % {"n": report.translated, "kept": report.fallbacks}
    )


async def step_market(ctx: DemoContext) -> None:
    loaded = await ensure_bundled_history(ctx.services.db, ctx.services.settings)
    say("    " + _("%(n)s market data points loaded.") % {"n": sum(loaded.values())})


def digest_step(language: Language) -> Step:
    async def step(ctx: DemoContext) -> None:
        assert ctx.now is not None, "the ingest step sets the demo's clock"
        composer = DigestComposer(ctx.services.db, ctx.services.settings)
        feeds = await default_feed_ids(ctx.services.db)  # as outside a server
        digest = await composer(feeds, language, ctx.now)
        print(render_digest_text(digest))
        print()

    return step


async def step_signal(ctx: DemoContext) -> None:
    ctx.signal = await build_signal_report(ctx.services.db, ctx.services.settings)
    print(render_report_text(ctx.signal, ctx.language))
    print()


async def step_chart(ctx: DemoContext) -> None:
    assert ctx.signal is not None, "the signal step builds the report"
    png = await asyncio.to_thread(render_chart, ctx.signal, ctx.language)
    ctx.chart_path.write_bytes(png)
    say("    " + _("Chart written to %(path)s.") % {"path": ctx.chart_path})


# (what the progress line says, the step), in order.
STEPS: list[tuple[str, Step]] = [
    (N_("Ingesting the bundled sample feeds (offline)"), step_ingest),
    (N_("Scoring sentiment"), step_score),
    (N_("Translating stories EN<->NL"), step_translate),
    (N_("Loading the bundled market history"), step_market),
    (N_("The daily digest in Dutch"), digest_step("nl")),
    (N_("The daily digest in English"), digest_step("en")),
    (N_("The Russell 2000 signal"), step_signal),
    (N_("Drawing the chart"), step_chart),
]


async def run_demo(
    settings: Settings, steps: list[tuple[str, Step]] = STEPS, chart: Path = Path("russell2000.png")
) -> int:
    async with open_services(settings) as services:
        ctx = DemoContext(services, language=settings.default_language, chart_path=chart)
        for number, (title, step) in enumerate(steps, start=1):
            with use_language(ctx.language):
                say(f"[{number}/{len(steps)}] {_(title)}")
            await step(ctx)
    return 0


def demo_settings(settings: Settings, data_dir: Path, backend: str) -> Settings:
    """The same settings on a fresh, throw-away data directory and database."""
    return settings.model_copy(
        update={"data_dir": data_dir, "database_url": "", "sentiment_backend": backend}
    )


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "demo", help="the main job offline: bundled feeds and market data, digests, the signal"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="keep the demo database here (default: a temporary dir)"
    )
    parser.add_argument(
        "--chart", type=Path, default=Path("russell2000.png"), help="where to write the chart"
    )
    parser.add_argument(
        "--sentiment-backend",
        choices=["offline", "lexicon", "auto", "transformers"],
        default="offline",
        help="offline (default: the trained offline model), lexicon, or a cached model",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    if not getattr(args, "log_level", None):
        # The demo talks to a person: progress lines, not INFO logs (--log-level brings them).
        logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    # Offline by definition: a model may come from the local cache, never from the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    backend = args.sentiment_backend
    if args.data_dir is not None:
        return asyncio.run(
            run_demo(demo_settings(settings, args.data_dir, backend), chart=args.chart)
        )
    with tempfile.TemporaryDirectory(prefix="cryptobot-demo-") as tmp:
        return asyncio.run(run_demo(demo_settings(settings, Path(tmp), backend), chart=args.chart))
