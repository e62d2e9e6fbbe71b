"""`python -m bot run`: the Discord bot with its background pipeline (the Procfile worker), and
with DISCORD_PROCESSES > 1 the other Discord processes, as supervised children."""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    parser.add_argument(
        "--supervised",
        action="store_true",
        help="(used by `run` for DISCORD_PROCESSES > 1) also stop when stdin closes",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    token = settings.require_token()  # exits 2 with a one-line message when missing
    # discord.py is imported only for this command
    from bot.discord.eventloop import run
    from bot.discord.launcher import run_bot

    run(run_bot(settings, token, supervised=args.supervised))  # on uvloop where installed
    return 0
