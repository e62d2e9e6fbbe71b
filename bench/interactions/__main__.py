"""The command line: `python -m bench.interactions --help`."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import tempfile
from pathlib import Path

import bench.interactions
import bot.discord.client
import bot.discord.tree
from bench.interactions.measure import LOG_COUNTS
from bench.interactions.report import print_run, print_summary
from bench.interactions.run import one_run
from bench.interactions.shardproc import print_processes
from bench.interactions.shardproc import print_summary as print_process_summary
from bot.discord import eventloop


async def main_async(args: argparse.Namespace) -> int:
    results = []
    for n in range(1, args.runs + 1):
        result = await one_run(args)
        # The bot froze its objects at start (bot/runtime/tuning.py): let the stopped bot of
        # this run go, so the next run's RSS is that of a fresh process, not of several bots.
        gc.unfreeze()
        gc.collect()
        print_run(n, result, args)
        print_processes(result.processes)
        results.append(result)
    print_summary(results, args)
    print_process_summary([r.processes for r in results])
    return 1 if any(r.missed for r in results) else 0


def default_model(directory: Path) -> Path:
    """The default model (multilingual-e5-small + the shipped head) in its real shape with
    random weights, tokenizer files included (bench/pipeline_memory.py, its one builder),
    saved where the pipeline loads it from: no hub access; speed and memory do not depend
    on the values."""
    path = directory / "random-e5-small"
    print(f"saving the default model's shape with random weights to {path}", flush=True)
    # Imported here: bench.pipeline_memory's imports (numpy, bench.sentiment) would add ~9 MB to
    # this process's RSS, which the bench reports as the Discord process's.
    from bench.pipeline_memory import save_random_e5_apart

    save_random_e5_apart(path)  # torch must not count in this (the Discord) process's RSS
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=(bench.interactions.__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--interactions", type=int, default=200, help="the burst's size")
    parser.add_argument(
        "--sustained",
        type=float,
        nargs="?",
        const=50.0,
        help="instead of a burst: this many interactions/s (default 50) while passes run",
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="the sustained load's length")
    parser.add_argument(
        "--offset", type=float, default=0.3, help="seconds between the pass start and the load"
    )
    parser.add_argument(
        "--pass-inline",
        action="store_true",
        help="run the passes in the bot's process (as before issue 15), not in their own",
    )
    parser.add_argument(
        "--model",
        help="score with SENTIMENT_BACKEND=transformers and this model path; `default`: the "
        "default model (the e5 encoder + the shipped head) in its shape with random weights",
    )
    parser.add_argument(
        "--loop",
        choices=("auto", "uvloop", "asyncio"),
        help="the bot process's event loop (default: EVENT_LOOP, else uvloop where installed)",
    )
    parser.add_argument(
        "--admission",
        type=int,
        help="interactions started per loop iteration (bot/discord/tree.py; 0: no gate)",
    )
    parser.add_argument(
        "--scheduling",
        choices=("nice", "idle"),
        help="the pipeline child's CPU priority (PIPELINE_SCHEDULING; default: the setting's)",
    )
    parser.add_argument(
        "--gc",
        help="the bot's collector thresholds after start-up, e.g. 20000,20,20 "
        "(default: bot/discord/client.py GC_THRESHOLDS, else CPython's 700,10,10)",
    )
    parser.add_argument(
        "--discord-processes",
        type=int,
        default=1,
        help="DISCORD_PROCESSES: the bot in this process runs shard 0 of N and supervises "
        "N - 1 Discord children (bench/interactions/shardproc.py), as `python -m bot run`",
    )
    parser.add_argument(
        "--timeline",
        nargs="?",
        const="",
        help="print what the slow interactions waited for, against passes and data versions "
        "(bench/interactions/timeline.py); with a path, also write the records there as JSON",
    )
    parser.add_argument(
        "--perf-window",
        help="write the load's window and the process ids by role to this JSON file, for "
        "a `perf record -k CLOCK_MONOTONIC` trace (python -m bench.interactions.perfsched)",
    )
    parser.add_argument(
        "--memory-every",
        type=float,
        metavar="SECONDS",
        help="sample this (the Discord) process's RssAnon and Python's allocated blocks "
        "during the load, and print the series",
    )
    parser.add_argument("--stall-ms", type=float, default=50, help="watchdog sampling threshold")
    parser.add_argument("--stacks", action="store_true", help="print a stack for each stall")
    parser.add_argument("--verbose", action="store_true", help="print the bot's log")
    parser.add_argument("--top", type=int, default=12, help="profile lines to print")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the main thread's stack every 2 ms during the load (costs GIL time)",
    )
    parser.add_argument(
        "--cprofile", action="store_true", help="profile the main thread during the load"
    )
    parser.add_argument("--cprofile-out", help="also write the profile's stats to this file")
    parser.add_argument(
        "--profile-fake",
        action="store_true",
        help="profile the fake Discord's process during the load (cProfile; by module)",
    )
    parser.add_argument(
        "--no-pass", action="store_true", help="the load alone, without concurrent passes"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if not args.verbose:  # the bot's warnings and errors are counted, not printed
        for handler in logging.getLogger().handlers:
            handler.setLevel(logging.CRITICAL)
    logging.getLogger().addHandler(LOG_COUNTS)
    if args.gc:
        bot.discord.client.GC_THRESHOLDS = tuple(int(v) for v in args.gc.split(","))
    if args.admission is not None:
        bot.discord.tree.ADMISSIONS_PER_STEP = args.admission
    with tempfile.TemporaryDirectory() as tmp:
        if args.model == "default":
            args.model = args.encoder = default_model(Path(tmp))
        # The bot's process: on the loop `python -m bot run` uses (uvloop where installed).
        code = eventloop.run(main_async(args), args.loop)
    sys.exit(code)


if __name__ == "__main__":
    main()
