"""`python -m bot signal [--lang nl|en] [--chart FILE.png] [--refresh]`: the breakout report.

Offline by default: a fresh database is filled from the bundled history. `--refresh` first
tries the live sources (a failure keeps the stored data; the report says "as of").
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.i18n import LANGUAGES, Language, _, use_language
from bot.market.chart import render_chart
from bot.market.refresh import refresh_market
from bot.market.report import build_signal_report
from bot.market.text import render_report_text
from bot.runtime.services import open_services


def register(sub: Any) -> None:
    parser = sub.add_parser("signal", help="the Russell 2000 breakout signal with crypto context")
    parser.add_argument("--lang", choices=LANGUAGES, help="report language (default: setting)")
    parser.add_argument("--chart", type=Path, metavar="FILE.png", help="also write the chart")
    parser.add_argument(
        "--refresh", action="store_true", help="refresh from the live sources first"
    )
    parser.set_defaults(handler=handle)


async def _run(args: argparse.Namespace, settings: Settings, language: Language) -> int:
    async with open_services(settings) as services:
        if args.refresh:
            for result in await refresh_market(services.db, services.http, settings):
                if not result.ok:
                    print(
                        _("Refresh from %(source)s failed: %(error)s")
                        % {"source": result.source, "error": result.error or "backoff"},
                        file=sys.stderr,
                    )
        report = await build_signal_report(services.db, settings)
    print(render_report_text(report, language))
    if args.chart:
        started = time.perf_counter()
        png = await asyncio.to_thread(render_chart, report, language)
        args.chart.write_bytes(png)
        print(
            _("Chart written to %(path)s (%(ms)d ms).")
            % {"path": args.chart, "ms": (time.perf_counter() - started) * 1000},
            file=sys.stderr,
        )
    return 0


def handle(args: argparse.Namespace, settings: Settings) -> int:
    language: Language = args.lang or settings.default_language
    with use_language(language):
        return asyncio.run(_run(args, settings, language))
