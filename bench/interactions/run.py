"""One run: the bot on the fake Discord with a first pass stored, a quiet round of every
command, then the burst of interactions during a second pass; returns what was measured."""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import io
import math
import os
import pstats
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench import ROOT
from bench._stats import cpu_delta, percentile, thread_cpu
from bench.feedserver import feed_language
from bench.interactions.measure import Stall, StallWatch
from bench.interactions.workload import MIX, FeedServers, Item, feed_documents, finish, fire, world
from bot.config import Settings, load_settings
from bot.market.signal import ensure_bundled_history
from bot.news.tables import articles
from bot.runtime.jobs import pipeline_pass
from bot.runtime.services import Services, open_services
from tests.fakediscord import FakeDiscord, Guild
from tests.harness import fake_discord_settings, start_bot, stop_bot, write_feeds_file


@dataclass
class Result:
    p50_ms: float
    p99_ms: float
    max_ms: float
    answered_p50_ms: float  # over the interactions answered in time only
    answered_p99_ms: float
    answered: int
    stall_ms: float
    missed: int
    burst_s: float
    pass_s: float
    new_articles: int
    scored: int
    by_kind: dict[str, list[float]]
    stalls: list[Stall]
    profile: collections.Counter[str]
    quiet: dict[str, float]  # one interaction at a time, before the burst: first response ms
    cpu: dict[str, float]  # CPU seconds during the burst, by thread name


def settings_for(tmp: Path, fake: FakeDiscord, feeds: FeedServers, n_feeds: int) -> Settings:
    feeds_file = write_feeds_file(
        tmp / "feeds.toml",
        [(f"Bench feed {n}", feeds.url(n), feed_language(n)) for n in range(n_feeds)],
    )
    return load_settings(
        data_dir=tmp / "data",
        **fake_discord_settings(fake),  # no pipeline: the bench runs the passes at known times
        feeds_file=feeds_file,
        feeds_allow_private=True,  # the bench feeds are served on 127.0.0.x
        sentiment_backend="lexicon",
    )


async def timed_pass(services: Services) -> tuple[float, int, int]:
    start = time.perf_counter()
    report = await pipeline_pass(services)
    return time.perf_counter() - start, report.ingest.new_articles, report.scored


async def pass_in_process(settings: Settings, services: Services) -> tuple[float, int, int]:
    """The pass as production runs it when split: `python -m bot pipeline --once` in its own
    process on the same database, so its CPU work never competes with the bot for the GIL."""
    before = await count_articles(services)
    env = {
        **os.environ,
        "DATA_DIR": str(settings.data_dir),
        "FEEDS_FILE": str(settings.feeds_file),
        "SENTIMENT_BACKEND": settings.sentiment_backend,
        "FEEDS_ALLOW_PRIVATE": "true",  # the bench feeds are served on 127.0.0.x
        "LOG_LEVEL": "WARNING",
    }
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "pipeline",
        "--once",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
    )
    if await proc.wait() != 0:
        raise RuntimeError("python -m bot pipeline --once failed")
    new = await count_articles(services) - before
    return time.perf_counter() - start, new, new


async def count_articles(services: Services) -> int:
    async with services.db.connection() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(articles)) or 0)


async def one_run(args: argparse.Namespace, pools: dict[str, list[Item]]) -> Result:
    feeds = FeedServers([feed_documents(args.feeds, args.entries, g, pools) for g in (1, 2)])
    watch = StallWatch(args.stall_ms / 1000)
    guilds = world()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            async with FakeDiscord(world(), deadline=3.0) as fake:
                settings = settings_for(Path(tmp_name), fake, feeds, args.feeds)
                async with open_services(settings) as services:
                    first_s, first_new, _ = await timed_pass(services)
                    print(f"  first pass: {first_new} articles in {first_s:.2f} s", flush=True)
                    await ensure_bundled_history(services.db, settings)
                    bot, task = await start_bot(settings, services)
                    try:
                        # Warm-up: a running bot has its connections open and modules loaded.
                        # The second round, one at a time, gives each command's quiet latency.
                        quiet: dict[str, list[float]] = collections.defaultdict(list)
                        for round_ in range(2):
                            for i, ask in enumerate(MIX):
                                handle = await fire(fake, guilds[i % 2], ask)
                                await finish(handle, ask)
                                if round_ and handle.response is not None:
                                    quiet[ask.label].append(handle.response.elapsed_ms)
                        result = await burst(args, fake, guilds, services, feeds, watch)
                        result.quiet = {k: statistics.median(v) for k, v in quiet.items()}
                        return result
                    finally:
                        await stop_bot(bot, task)
    finally:
        watch.stop()
        feeds.close()


async def burst(
    args: argparse.Namespace,
    fake: FakeDiscord,
    guilds: list[Guild],
    services: Services,
    feeds: FeedServers,
    watch: StallWatch,
) -> Result:
    feeds.serve_generation(1)  # new links: the pass does real work
    asks = [MIX[i % len(MIX)] for i in range(args.interactions)]
    targets = [guilds[i % len(guilds)] for i in range(args.interactions)]
    ticker = asyncio.create_task(watch.run())
    watch.start()
    await asyncio.sleep(0.05)
    watch.reset()
    if args.no_pass:
        pass_task = asyncio.create_task(asyncio.sleep(0, (0.0, 0, 0)))
    else:
        passing = (
            pass_in_process(services.settings, services)
            if args.pass_process
            else timed_pass(services)
        )
        pass_task = asyncio.create_task(passing)
        await asyncio.sleep(args.offset)  # let the pass get going (fetch, parse, store)
    start = time.perf_counter()
    cpu_before = thread_cpu()
    profiler = cProfile.Profile() if args.cprofile else None
    if profiler:
        profiler.enable()
    watch.profiling = args.profile
    handles = await asyncio.gather(*(fire(fake, g, a) for g, a in zip(targets, asks, strict=True)))
    outcomes = await asyncio.gather(
        *(finish(h, a) for h, a in zip(handles, asks, strict=True)), return_exceptions=True
    )
    burst_s = time.perf_counter() - start
    watch.profiling = False
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
        print("    main-thread profile of the burst (cProfile, by own time):")
        print("\n".join("    " + line for line in out.getvalue().splitlines()[6:]))
    cpu_after = thread_cpu()
    cpu = cpu_delta(cpu_before, cpu_after)
    pass_s, new, scored = await pass_task
    await asyncio.sleep(0.02)
    ticker.cancel()
    failures = collections.Counter(
        type(o).__name__ for o in outcomes if isinstance(o, BaseException)
    )
    if failures:
        print(f"  failed waits: {dict(failures)}")
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    for h, a in zip(handles, asks, strict=True):
        # A missed deadline counts as infinitely late: the percentiles cover all interactions.
        by_kind[a.label].append(h.response.elapsed_ms if h.response else math.inf)
    firsts = [v for values in by_kind.values() for v in values]
    answered = [v for v in firsts if not math.isinf(v)] or [math.inf]
    return Result(
        p50_ms=percentile(firsts, 0.50),
        p99_ms=percentile(firsts, 0.99),
        max_ms=max(firsts),
        answered_p50_ms=percentile(answered, 0.50),
        answered_p99_ms=percentile(answered, 0.99),
        answered=sum(not math.isinf(v) for v in firsts),
        stall_ms=watch.max_lateness * 1000,
        missed=len(fake.missed_deadlines),
        burst_s=burst_s,
        pass_s=pass_s,
        new_articles=new,
        scored=scored,
        by_kind=dict(by_kind),
        stalls=sorted(watch.stalls, key=lambda s: -s.seconds),
        profile=watch.profile,
        quiet={},
        cpu=cpu,
    )
