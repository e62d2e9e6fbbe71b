"""`python -m bot <command>`: the command-line entry point.

Each command lives in its own module in this package with `register(subparsers)`, which adds
a subparser whose `handler` default is a function `(args, settings) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from bot.config import ConfigError, load_settings

# Command modules in the order `--help` lists them.
COMMAND_MODULES = [
    "run",
    "pipeline",
    "status",
    "demo",
    "fetch",
    "news",
    "signal",
    "market",
    "sentiment",
    "models",
    "translate",
    "digest",
    "live",
]


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named on the line, if it is one of ours (skipping `--log-level X`)."""
    words = iter(argv)
    for word in words:
        if word == "--log-level":
            next(words, None)
        elif not word.startswith("-"):
            return word if word in COMMAND_MODULES else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given the command line, only the named command's module is imported.

    Each module pulls in what its command needs (the signal chart's matplotlib, the
    pipeline's feed and model code): ~40 MB that `run`'s and `pipeline`'s long-lived
    processes need not hold. `--help`, or no known command, imports them all."""
    chosen = _chosen(argv) if argv is not None else None
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Crypto news, sentiment and the Russell 2000 signal."
    )
    parser.add_argument("--log-level", help="override LOG_LEVEL for this run")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in [chosen] if chosen else COMMAND_MODULES:
        importlib.import_module(f"bot.cli.{name}").register(sub)
    return parser


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request at INFO; keep that for DEBUG runs.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    setup_logging(args.log_level.upper() if args.log_level else settings.log_level)
    try:
        return int(args.handler(args, settings) or 0)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
