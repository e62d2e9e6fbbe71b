"""`python -m bot live [--lang nl|en]`: what a live channel would have received from the last
pipeline pass.

Offline: it reads the stored stories of the default feeds (as outside a server) whose lead
article the last recorded pass stored, under the same rules as a live channel with no filters
(no backlog, nothing older than LIVE_MAX_AGE_HOURS, the rate cap's "N more stories").
`--lang` is the reading channel's language (its words, and the story text once translations
are plugged in at bot.compose.live.live_stories).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from typing import Any

from bot.compose.live import live_stories, live_text, more_title
from bot.config import Settings
from bot.guilds.feeds import default_feed_ids
from bot.i18n import Language, _, fmt_datetime, use_language
from bot.live.candidates import read_window, split_for_cap
from bot.runtime.health import last_pipeline_run
from bot.runtime.services import open_services


def register(sub: Any) -> None:
    parser = sub.add_parser("live", help="print what a live channel got from the last pass")
    parser.add_argument("--lang", choices=["nl", "en"], help="the channel's language")
    parser.set_defaults(handler=handle)


async def _run(settings: Settings, language: Language) -> int:
    async with open_services(settings) as services:
        db = services.db
        run = await last_pipeline_run(db)
        if run is None:
            print(_("No pipeline pass recorded yet: run `python -m bot pipeline --once` first."))
            return 0
        max_age = timedelta(hours=settings.live_max_age_hours)
        window = await read_window(db, now=run.finished_at, max_age=max_age)
        feeds = await default_feed_ids(db)
        todo = [
            c
            for c in window.candidates(feeds, None)
            if c.fresh and run.started_at <= c.stored_at <= run.finished_at
        ]
        singles, folded = split_for_cap(todo, settings.live_rate_posts)
        shown = await live_stories(db, singles + folded, language)
    print(
        _("Last pipeline pass: %(when)s; new stories for a live channel: %(n)s.")
        % {"when": fmt_datetime(run.finished_at), "n": len(todo)}
    )
    for story in shown[: len(singles)]:
        print()
        print(live_text(story, language))
    if folded:
        print()
        print(more_title(len(folded)))
        for story in shown[len(singles) :]:
            print(f"• {story.title} · {story.link}")
    return 0


def handle(args: argparse.Namespace, settings: Settings) -> int:
    language: Language = args.lang or settings.default_language
    with use_language(language):
        return asyncio.run(_run(settings, language))
