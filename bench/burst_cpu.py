"""Benchmark: the Discord process's event-loop CPU per 200-burst, repeated (no passes).

The bot as bench.interactions builds it (this process; the fake Discord in its own), one
first pass stored, one quiet round of every command, then --bursts bursts of the same mix,
0.6 s apart. Per burst: the loop thread's CPU seconds (`time.thread_time` of this thread,
little distorted by other processes' load: compare the minimum and the median between
commits), the garbage collector's pauses and the gen-0 count when the burst starts (what a
burst leaves behind for the collector), p50/p99 of the first responses.

    .venv/bin/python -m bench.burst_cpu [--bursts 8] [--interactions 200]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench._stats import percentile
from bench.interactions.fakeproc import FakeDiscordProcess
from bench.interactions.measure import GcTimer
from bench.interactions.run import Passes, settings_for
from bench.interactions.workload import FeedServers
from bot.discord import eventloop
from bot.market.signal import ensure_bundled_history
from bot.runtime.services import open_services
from tests.harness import start_bot, stop_bot


async def bursts(args: argparse.Namespace) -> None:
    feeds = FeedServers(50, 50)
    fake = FakeDiscordProcess()
    await fake.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = settings_for(Path(tmp), fake.endpoints, feeds, 50)
            async with open_services(settings) as services:
                passes = Passes(
                    argparse.Namespace(pass_inline=False, model=None), settings, services
                )
                first = await passes.one(feeds)
                print(f"first pass: {first.new_articles} articles in {first.seconds:.1f} s")
                await ensure_bundled_history(services.db, settings)
                bot, task = await start_bot(settings, services)
                try:
                    await fake.ask("warm")
                    cpus = []
                    for n in range(args.bursts):
                        await asyncio.sleep(0.6)
                        young = gc.get_count()[0]
                        cpu = time.thread_time()
                        with GcTimer() as collections:
                            reply = await fake.ask("burst", args.interactions)
                        cpus.append(time.thread_time() - cpu)
                        firsts = [v for _, v in reply["firsts"]]
                        print(
                            f"burst {n + 1}: loop CPU {cpus[-1]:.3f} s, "
                            f"p50 {percentile(firsts, 0.5):.0f} ms, "
                            f"p99 {percentile(firsts, 0.99):.0f} ms, "
                            f"collector {collections.seconds * 1000:.0f} ms "
                            f"({sum(collections.counts.values())} collections), "
                            f"gen-0 count at the start {young}"
                        )
                finally:
                    await stop_bot(bot, task)
    finally:
        await fake.close()
        feeds.close()
    per = args.interactions
    print(
        f"loop CPU per burst of {per}: min {min(cpus):.3f} s, median "
        f"{statistics.median(cpus):.3f} s ({statistics.median(cpus) / per * 1000:.2f} ms each); "
        f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bursts", type=int, default=8)
    parser.add_argument("--interactions", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    eventloop.run(bursts(args))


if __name__ == "__main__":
    main()
