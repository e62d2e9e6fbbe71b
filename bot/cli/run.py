"""`python -m bot run`: the Discord bot with its background pipeline (the Procfile worker)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    parser = sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    token = settings.require_token()  # exits 2 with a one-line message when missing
    from bot.discord.launcher import run_bot  # discord.py is imported only for this command

    asyncio.run(run_bot(settings, token))
    return 0
