"""`python -m bot news [--reader nl|en] [--no-translate] [--sources nl|en] [--coin BTC]
[--hours 24]`: the top stories stored, as a reader of that language sees them in /news.

From the default feeds only (the configured ones that are enabled), as outside a server.
`--lang X` (the older flag) still means `--reader X --sources X`.
"""

from __future__ import annotations

import argparse
import asyncio
import textwrap
from datetime import UTC, datetime
from typing import Any

from bot.cli.reader import add_reader_flags, reader_of
from bot.compose.news import NewsItem, news_brief
from bot.config import Settings
from bot.guilds.feeds import default_feed_ids
from bot.i18n import Language, _, fmt_date, fmt_datetime, ngettext, use_language
from bot.labels import origin_label
from bot.news.query import latest_article_time
from bot.runtime.services import open_services


def register(sub: Any) -> None:
    parser = sub.add_parser("news", help="print the top stories from the stored articles")
    add_reader_flags(parser)
    parser.add_argument(
        "--sources", choices=["nl", "en"], help="only articles in this language (default: any)"
    )
    parser.add_argument(
        "--lang", choices=["nl", "en"], help="older shorthand for --reader X --sources X"
    )
    parser.add_argument("--coin", help="only stories about this ticker, e.g. BTC")
    parser.add_argument("--hours", type=int, default=24, help="look back this many hours")
    parser.add_argument("--limit", type=int, default=5, help="how many stories (default 5)")
    parser.set_defaults(handler=handle)


def format_story(number: int, item: NewsItem) -> str:
    """One story as plain text in the current language, as its reader sees it."""
    story, text = item.story, item.text
    lines = [f"{number}. {text.title}"]
    if text.summary:
        lines += textwrap.wrap(text.summary, 96, initial_indent="   ", subsequent_indent="   ")
    if origin := origin_label(text.shown, text.language):
        lines.append(f"   🌐 {origin}")
    meta = [_("Sources: %(sources)s") % {"sources": ", ".join(story.sources)}]
    if story.coins:
        meta.append(_("Coins: %(coins)s") % {"coins": ", ".join(story.coins[:5])})
    meta.append(fmt_date(story.published_at, "medium"))
    lines.append("   " + " · ".join(meta))
    lines.append(f"   {text.link}")
    return "\n".join(lines)


def format_stories(items: list[NewsItem]) -> str:
    return "\n\n".join(format_story(i, s) for i, s in enumerate(items, start=1))


async def _run(args: argparse.Namespace, settings: Settings, reader: Language) -> int:
    async with open_services(settings) as services:
        now = datetime.now(UTC)
        feeds = await default_feed_ids(services.db)
        brief = await news_brief(
            services.db,
            now=now,
            hours=args.hours,
            language=args.sources or args.lang,
            coin=args.coin.upper() if args.coin else None,
            limit=args.limit,
            feed_ids=feeds,
            reader=reader,
            translate=args.translate,
        )
        stories = brief.items
        latest = None if stories else await latest_article_time(services.db, feed_ids=feeds)
    if stories:
        print(
            ngettext(
                "Top stories of the last %(hours)s hour",
                "Top stories of the last %(hours)s hours",
                args.hours,
            )
            % {"hours": args.hours}
        )
        print()
        print(format_stories(stories))
        return 0
    print(
        ngettext(
            "No stories in the last %(hours)s hour.",
            "No stories in the last %(hours)s hours.",
            args.hours,
        )
        % {"hours": args.hours}
    )
    if latest is None:
        print(_("Nothing stored yet: run `python -m bot fetch` (or `python -m bot demo`)."))
    else:
        print(_("Newest stored article: %(when)s.") % {"when": fmt_datetime(latest)})
    return 0


def handle(args: argparse.Namespace, settings: Settings) -> int:
    reader = reader_of(args, settings)
    with use_language(reader):
        return asyncio.run(_run(args, settings, reader))
