"""`python -m bot news [--lang nl|en] [--coin BTC] [--hours 24]`: the top stories stored.

From the default feeds only (the configured ones that are enabled), as outside a server.
"""

from __future__ import annotations

import argparse
import asyncio
import textwrap
from datetime import UTC, datetime
from typing import Any

from bot.config import Settings
from bot.guilds.feeds import default_feed_ids
from bot.i18n import Language, _, fmt_date, fmt_datetime, ngettext, use_language
from bot.news.query import StoryView, latest_article_time, top_stories
from bot.runtime.services import open_services


def register(sub: Any) -> None:
    parser = sub.add_parser("news", help="print the top stories from the stored articles")
    parser.add_argument("--lang", choices=["nl", "en"], help="stories and text in this language")
    parser.add_argument("--coin", help="only stories about this ticker, e.g. BTC")
    parser.add_argument("--hours", type=int, default=24, help="look back this many hours")
    parser.add_argument("--limit", type=int, default=5, help="how many stories (default 5)")
    parser.set_defaults(handler=handle)


def format_story(number: int, story: StoryView) -> str:
    """One story as plain text in the current language."""
    lines = [f"{number}. {story.title}"]
    if story.summary:
        lines += textwrap.wrap(story.summary, 96, initial_indent="   ", subsequent_indent="   ")
    meta = [_("Sources: %(sources)s") % {"sources": ", ".join(story.sources)}]
    if story.coins:
        meta.append(_("Coins: %(coins)s") % {"coins": ", ".join(story.coins[:5])})
    meta.append(fmt_date(story.published_at, "medium"))
    lines.append("   " + " · ".join(meta))
    lines.append(f"   {story.link}")
    return "\n".join(lines)


def format_stories(stories: list[StoryView]) -> str:
    return "\n\n".join(format_story(i, s) for i, s in enumerate(stories, start=1))


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    async with open_services(settings) as services:
        now = datetime.now(UTC)
        feeds = await default_feed_ids(services.db)
        stories = await top_stories(
            services.db,
            now=now,
            hours=args.hours,
            language=args.lang,
            coin=args.coin.upper() if args.coin else None,
            limit=args.limit,
            feed_ids=feeds,
        )
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
    language: Language = args.lang or settings.default_language
    with use_language(language):
        return asyncio.run(_run(args, settings))
