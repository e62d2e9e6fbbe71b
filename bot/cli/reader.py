"""The flags shared by the commands that show stories (`news`, `digest`): which reader to show
them to. Not a command itself (bot/cli/__init__.py lists the commands).

`--reader nl` shows what a Dutch server sees: the text in Dutch, stories from other languages
machine-translated when the pipeline stored a translation, labelled, else marked with their
language; `--no-translate` shows what a server with `/language translate off` sees.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import Settings
from bot.i18n import LANGUAGES, Language


def add_reader_flags(parser: Any) -> None:
    parser.add_argument(
        "--reader",
        choices=LANGUAGES,
        help="show what a reader of this language sees (default: DEFAULT_LANGUAGE)",
    )
    parser.add_argument(
        "--no-translate",
        dest="translate",
        action="store_false",
        help="as a server with translation off: originals, their language marked",
    )


def reader_of(args: argparse.Namespace, settings: Settings) -> Language:
    """--reader, else the older --lang, else the bot's default language."""
    chosen: Language | None = args.reader or getattr(args, "lang", None)
    return chosen or settings.default_language
