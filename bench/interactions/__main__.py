"""The command line: `python -m bench.interactions --help`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import bench.interactions
from bench.interactions.measure import LOG_COUNTS
from bench.interactions.report import print_run, print_summary
from bench.interactions.run import one_run
from bench.interactions.workload import item_pools


async def main_async(args: argparse.Namespace) -> int:
    pools = item_pools()
    results = []
    for n in range(1, args.runs + 1):
        result = await one_run(args, pools)
        print_run(n, result, args)
        results.append(result)
    print_summary(results, args)
    return 1 if any(r.missed for r in results) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=(bench.interactions.__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--interactions", type=int, default=200)
    parser.add_argument(
        "--offset", type=float, default=0.3, help="seconds between the pass start and the burst"
    )
    parser.add_argument(
        "--pass-process",
        action="store_true",
        help="run the pass as `python -m bot pipeline --once` in its own process",
    )
    parser.add_argument("--stall-ms", type=float, default=50, help="watchdog sampling threshold")
    parser.add_argument("--stacks", action="store_true", help="print a stack for each stall")
    parser.add_argument("--verbose", action="store_true", help="print the bot's log")
    parser.add_argument("--top", type=int, default=12, help="profile lines to print")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the main thread's stack every 2 ms during the burst (costs GIL time)",
    )
    parser.add_argument(
        "--cprofile", action="store_true", help="profile the main thread during the burst"
    )
    parser.add_argument(
        "--no-pass", action="store_true", help="the burst alone, without the concurrent pass"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if not args.verbose:  # the bot's warnings and errors are counted, not printed
        for handler in logging.getLogger().handlers:
            handler.setLevel(logging.CRITICAL)
    logging.getLogger().addHandler(LOG_COUNTS)
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
