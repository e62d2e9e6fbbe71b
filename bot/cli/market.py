"""`python -m bot market refresh`: one live refresh of the market series, with a summary."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.config import Settings
from bot.i18n import _, fmt_date, fmt_datetime, use_language
from bot.market.refresh import SourceResult, refresh_market
from bot.market.store import latest_days
from bot.runtime.services import open_services


def register(sub: Any) -> None:
    parser = sub.add_parser("market", help="market data: refresh from the live sources")
    actions = parser.add_subparsers(dest="market_action", metavar="ACTION", required=True)
    actions.add_parser("refresh", help="fetch the latest points from every market source")
    parser.set_defaults(handler=handle)


def result_line(result: SourceResult, as_of: Any) -> str:
    if result.skipped_until:
        status = _("backing off until %(time)s") % {"time": fmt_datetime(result.skipped_until)}
    elif result.error:
        status = _("failed: %(error)s") % {"error": result.error}
    else:
        status = _("%(n)d data points") % {"n": result.points}
    day = _("as of %(date)s") % {"date": fmt_date(as_of, "medium")} if as_of else "-"
    return f"{result.source:<16} {result.series:<17} {status} ({day})"


async def _run(settings: Settings) -> int:
    async with open_services(settings) as services:
        results = await refresh_market(services.db, services.http, settings)
        as_of = await latest_days(services.db)
    for result in results:
        print(result_line(result, as_of.get(result.series)))
    return 0 if any(r.ok for r in results) else 1


def handle(args: argparse.Namespace, settings: Settings) -> int:
    with use_language(settings.default_language):
        return asyncio.run(_run(settings))
