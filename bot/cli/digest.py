"""`python -m bot digest [preview] [--reader nl|en] [--no-translate] [--at ISO-TIME]`: today's
digest in the terminal, as a server whose language is `--reader` gets it (`--lang` is the
older name of `--reader`; `preview` is optional and names what `/digest preview` shows).

Offline: it reads whatever the pipeline stored from the default feeds (the configured ones,
as outside a server; never a server's own), plus the bundled market history. When
nothing was published in the last 24 hours but older articles are stored (the bundled
sample feeds, say), it shows the digest as of the newest article and says so.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from bot.cli.reader import add_reader_flags, reader_of
from bot.compose.digest import WINDOW, DigestComposer
from bot.config import Settings
from bot.digest.text import render_digest_text
from bot.guilds.feeds import default_feed_ids
from bot.i18n import Language, _, fmt_datetime, use_language
from bot.news.query import latest_article_time
from bot.runtime.services import open_services


def register(sub: Any) -> None:
    parser = sub.add_parser("digest", help="print today's digest from the stored data")
    parser.add_argument(
        "action", nargs="?", choices=["preview"], default="preview", help="(default) preview"
    )
    add_reader_flags(parser)
    parser.add_argument("--lang", choices=["nl", "en"], help="older name of --reader")
    parser.add_argument(
        "--at",
        type=_aware,
        help="compose as of this ISO time (default: now), e.g. 2026-11-24T08:00Z",
    )
    parser.set_defaults(handler=handle)


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _run(args: argparse.Namespace, settings: Settings, language: Language) -> int:
    async with open_services(settings) as services:
        now = args.at or datetime.now(UTC)
        feeds = await default_feed_ids(services.db)
        latest = await latest_article_time(services.db, feed_ids=feeds)
        if latest is None:
            print(_("No news stored yet: run `python -m bot fetch` or `python -m bot demo` first."))
            print()
        elif args.at is None and now - latest > WINDOW:
            print(
                _(
                    "Nothing was published in the last 24 hours; showing the digest as of "
                    "the newest stored article (%(when)s)."
                )
                % {"when": fmt_datetime(latest)}
            )
            print()
            now = latest
        compose = DigestComposer(services.db, settings)
        digest = await compose(feeds, language, now, args.translate)
    print(render_digest_text(digest))
    return 0


def handle(args: argparse.Namespace, settings: Settings) -> int:
    language = reader_of(args, settings)
    with use_language(language):
        return asyncio.run(_run(args, settings, language))
