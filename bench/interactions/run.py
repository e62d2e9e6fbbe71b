"""One run: the bot (this process) on the fake Discord (its own process) with a first pass
stored, a quiet round of every command, then the load during passes; returns what was measured.

The passes run as production runs them: `python -m bot pipeline --once` in a process of its
own on the same database (the entry point `run` supervises as its child), unless --pass-inline
puts them back in the bot's process for comparison. Each pass gets a new feed generation.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import io
import json
import math
import os
import pstats
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from pydantic import SecretStr

from bench import ROOT
from bench._stats import cpu_delta, follow_memory, percentile, rss_mb, thread_cpu
from bench.feedserver import feed_language
from bench.interactions import shardproc
from bench.interactions.fakeproc import FakeDiscordProcess
from bench.interactions.measure import GcTimer, MemoryTrace, Stall, StallWatch
from bench.interactions.sched import Sched, SchedWatch
from bench.interactions.shardproc import Children, ProcessFigures
from bench.interactions.timeline import Timeline
from bench.interactions.workload import FeedServers
from bot.config import Settings, load_settings
from bot.market.signal import ensure_bundled_history
from bot.news.tables import articles
from bot.runtime import supervisor
from bot.runtime.jobs import pipeline_pass
from bot.runtime.services import Services, open_services
from bot.runtime.supervisor import child_environment, lower_priority
from bot.shards import process_plan
from tests.harness import start_bot, stop_bot, write_feeds_file

UNREACHABLE = "http://127.0.0.1:9/none"  # market sources: refused at once, no DNS


@dataclass
class PassFigures:
    seconds: float
    new_articles: int
    peak_rss_mb: float = 0.0  # of the pipeline process (0 with --pass-inline)
    end_rss_mb: float = 0.0  # its resident set when last seen, at the end of the pass


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
    load_s: float
    passes: list[PassFigures]
    by_kind: dict[str, list[float]]
    stalls: list[Stall]
    profile: collections.Counter[str]
    cpu: dict[str, float]  # CPU seconds during the load, by thread name
    fake_cpu_s: float = 0.0  # the fake Discord process's CPU seconds during the load
    fake_build_cpu_s: float = 0.0  # its CPU seconds building the burst, before the load
    gc: str = ""  # the garbage collector's pauses in the bot's process during the load
    bot_rss_mb: float = 0.0  # this (the Discord) process after the passes
    loadavg: tuple[float, float, float] = (0.0, 0.0, 0.0)  # at the end of the run
    quiet: dict[str, float] = field(default_factory=dict)  # alone, before the load: ms
    # --discord-processes: each Discord process during the load (the bench's own first)
    processes: list[ProcessFigures] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)  # --timeline's summary lines
    # each process's time on a CPU and waiting for one during the load (bench/.../sched.py)
    sched: dict[str, Sched] = field(default_factory=dict)
    scheduling: str = ""  # the pipeline child's CPU priority (nice, idle)
    memory: list[str] = field(default_factory=list)  # --memory-every's summary lines


def settings_for(
    tmp: Path, endpoints: dict[str, str], feeds: FeedServers, n: int, processes: int = 1
) -> Settings:
    feeds_file = write_feeds_file(
        tmp / "feeds.toml",
        [(f"Bench feed {i}", feeds.url(i), feed_language(i)) for i in range(n)],
    )
    return load_settings(
        data_dir=tmp / "data",
        discord_api_base=endpoints["api_base"],
        discord_gateway_url=endpoints["gateway_url"],
        discord_token=SecretStr(endpoints["token"]),
        pipeline_enabled=False,  # the bench runs the passes at known times
        feeds_file=feeds_file,
        feeds_allow_private=True,  # the bench feeds are served on 127.0.0.x
        sentiment_backend="lexicon",
        discord_processes=processes,  # > 1: this process runs shard 0, children the others
    )


class Passes:
    """Pipeline passes, each on a new feed generation."""

    def __init__(self, args: argparse.Namespace, settings: Settings, services: Services) -> None:
        self.args, self.settings, self.services = args, settings, services
        self.pid: int | None = None  # the pipeline process of the pass under way
        self.scheduling = ""  # its CPU priority, as applied: nice, idle (or none)

    async def one(self, feeds: FeedServers) -> PassFigures:
        feeds.next_generation()
        if self.args.pass_inline:
            start = time.perf_counter()
            report = await pipeline_pass(self.services)
            return PassFigures(time.perf_counter() - start, report.ingest.new_articles)
        return await self._in_process()

    async def _in_process(self) -> PassFigures:
        settings = self.settings
        before = await count_articles(self.services)
        # The environment `run` gives its pipeline child (MALLOC_ARENA_MAX, PYTHONPATH), plus
        # the bench's own settings.
        env = child_environment({
            "DATA_DIR": str(settings.data_dir),
            "FEEDS_FILE": str(settings.feeds_file),
            "FEEDS_ALLOW_PRIVATE": "true",
            "LOG_LEVEL": "WARNING",
            "HF_HUB_OFFLINE": "1",
            **{
                f"MARKET_{name}_URL": UNREACHABLE
                for name in ("YAHOO", "BINANCE", "BINANCE_FALLBACK", "COINGECKO", "FNG")
            },
            **model_env(self.args),
        })  # fmt: skip
        start = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "pipeline", "--once", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        # as `run` starts its pipeline child (PIPELINE_SCHEDULING, or --scheduling)
        scheduling = self.args.scheduling or settings.pipeline_scheduling
        self.scheduling = lower_priority(proc.pid, scheduling=scheduling)
        self.pid = proc.pid
        peak, end = await follow_memory(proc)
        if proc.returncode != 0:
            raise RuntimeError("python -m bot pipeline --once failed")
        new = await count_articles(self.services) - before
        return PassFigures(time.perf_counter() - start, new, peak, end)


def write_window(
    path: str,
    start: float,
    seconds: float,
    fake: FakeDiscordProcess,
    passes: Passes,
    feeds: FeedServers,
) -> None:
    """The load's window on CLOCK_MONOTONIC (time.perf_counter's clock on Linux) and the
    process and thread ids by role."""
    roles = {os.getpid(): "bot loop", fake.process.pid: "fake", feeds.process.pid: "feeds"}
    roles |= {
        t.native_id: "stall watchdog"
        for t in threading.enumerate()
        if t.name == "stall-watchdog" and t.native_id
    }
    if passes.pid:
        roles[passes.pid] = "pipeline"
    window = {"start": start, "end": start + seconds, "roles": roles}
    Path(path).write_text(json.dumps(window), encoding="utf-8")


def model_env(args: argparse.Namespace) -> dict[str, str]:
    if args.model is None:
        return {"SENTIMENT_BACKEND": "lexicon"}
    if getattr(args, "encoder", None):  # --model default: the e5 encoder with the shipped head
        return {
            "SENTIMENT_BACKEND": "transformers",
            "SENTIMENT_MODEL": "",
            "SENTIMENT_ENCODER": str(args.encoder),
        }
    return {"SENTIMENT_BACKEND": "transformers", "SENTIMENT_MODEL": str(args.model)}


async def count_articles(services: Services) -> int:
    async with services.db.connection() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(articles)) or 0)


async def one_run(args: argparse.Namespace) -> Result:
    feeds = FeedServers(args.feeds, args.entries)
    fake = FakeDiscordProcess(profile=args.profile_fake)
    watch = StallWatch(args.stall_ms / 1000)
    timeline = Timeline() if getattr(args, "timeline", None) is not None else None
    try:
        await fake.start()
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            n = args.discord_processes
            settings = settings_for(tmp, fake.endpoints, feeds, args.feeds, n)
            async with open_services(settings) as services:
                passes = Passes(args, settings, services)
                if timeline is not None:  # what each interaction waits for (bench/.../timeline.py)
                    timeline.install(services.data_watch)
                    timeline.track(passes, "one", "pass")
                first = await passes.one(feeds)
                print(f"  first pass: {first.new_articles} articles in {first.seconds:.2f} s")
                await ensure_bundled_history(services.db, settings)
                children = discord_children(tmp, services, n)
                bot, task = await start_bot(settings, services)
                try:
                    if children:
                        await children.ready()
                    quiet = await fake.ask("warm")
                    result = await under_load(args, fake, passes, feeds, watch, children, timeline)
                    result.passes.insert(0, first)
                    result.quiet = quiet
                    result.bot_rss_mb = rss_mb()
                    if children:
                        children.rss(result.processes[1:])
                        result.processes[0].rss_mb = result.bot_rss_mb
                    result.loadavg = os.getloadavg()
                    return result
                finally:
                    await stop_bot(bot, task)
    finally:
        if timeline is not None:
            timeline.uninstall()
            if args.timeline:
                timeline.dump(args.timeline)
        watch.stop()
        await fake.close()
        feeds.close()


def discord_children(tmp: Path, services: Services, n: int) -> Children | None:
    """With n > 1: the bot started next (create_bot, as `run`) supervises n - 1 Discord
    children; they run bench/interactions/shardproc.py, which reports their figures."""
    if n < 2:
        return None
    directory = tmp / "discord-processes"
    directory.mkdir()
    os.environ[shardproc.DIR_ENV] = str(directory)  # the children's environment
    supervisor.DISCORD_CHILD_ARGS = shardproc.ARGS
    shards = [",".join(map(str, s.ids)) for s in process_plan(services.settings)]
    return Children(directory, services.db, n, shards)


async def under_load(
    args: argparse.Namespace,
    fake: FakeDiscordProcess,
    passes: Passes,
    feeds: FeedServers,
    watch: StallWatch,
    children: Children | None = None,
    timeline: Timeline | None = None,
) -> Result:
    """The burst (or the sustained rate) while passes run; the loop's stalls meanwhile."""
    ticker = asyncio.create_task(watch.run())
    watch.start()
    await asyncio.sleep(0.05)
    watch.reset()
    done: list[PassFigures] = []
    load_over = asyncio.Event()

    async def keep_passing() -> None:
        while True:  # the burst gets one pass; the sustained load, passes back to back
            done.append(await passes.one(feeds))
            if args.sustained is None or load_over.is_set():
                return

    passing = asyncio.create_task(keep_passing() if not args.no_pass else asyncio.sleep(0))
    if not args.no_pass:
        await asyncio.sleep(args.offset)  # let the pass get going (fetch, parse, store)
    start = time.perf_counter()
    cpu_before = thread_cpu()
    sched = SchedWatch()  # "pipeline": the pass under way (not a sustained load's later ones)
    sched.begin({
        "fake": fake.process.pid,
        "pipeline": None if args.no_pass or args.pass_inline else passes.pid,
        "feeds": feeds.process.pid,
        **{f"discord-{n}": pid for n, pid in enumerate(children.pids if children else [], 1)},
    })  # fmt: skip
    if children:
        children.begin()
    profiler = cProfile.Profile() if args.cprofile else None
    if profiler:
        profiler.enable()
    watch.profiling = args.profile
    if timeline is not None:
        timeline.load_began()
    memory = MemoryTrace(args.memory_every) if args.memory_every else None
    tracing = asyncio.create_task(memory.run()) if memory else None
    with GcTimer() as collections_:
        if args.sustained is None:
            reply = await fake.ask("burst", args.interactions)
        else:
            # The fake answers once the load is over: longer than ask's default wait.
            reply = await fake.ask(
                "sustained", args.sustained, args.seconds, within=args.seconds + 600
            )
    load_over.set()
    if tracing:
        tracing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await tracing
    if timeline is not None:
        timeline.load_ended()
    load_s = time.perf_counter() - start
    if args.perf_window:  # for a perf trace of the load (bench/interactions/perfsched.py)
        write_window(args.perf_window, start, load_s, fake, passes, feeds)
    sched.end()
    others = await children.end() if children else []
    watch.profiling = False
    if "profile" in reply:  # --profile-fake
        print(reply["profile"])
    if profiler:
        profiler.disable()
        if args.cprofile_out:
            profiler.dump_stats(args.cprofile_out)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
        print("    main-thread profile of the load (cProfile, by own time):")
        print("\n".join("    " + line for line in out.getvalue().splitlines()[6:]))
    cpu = cpu_delta(cpu_before, thread_cpu())
    await passing
    await asyncio.sleep(0.02)
    ticker.cancel()
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    for label, first_ms in reply["firsts"]:
        by_kind[label].append(first_ms)  # a missed deadline is inf: infinitely late
    firsts = [v for _, v in reply["firsts"]]
    answered = [v for v in firsts if not math.isinf(v)] or [math.inf]
    return Result(
        p50_ms=percentile(firsts, 0.50),
        p99_ms=percentile(firsts, 0.99),
        max_ms=max(firsts),
        answered_p50_ms=percentile(answered, 0.50),
        answered_p99_ms=percentile(answered, 0.99),
        answered=sum(not math.isinf(v) for v in firsts),
        stall_ms=watch.max_lateness * 1000,
        missed=reply["missed"],
        load_s=load_s,
        passes=done,
        by_kind=dict(by_kind),
        stalls=sorted(watch.stalls, key=lambda s: -s.seconds),
        profile=watch.profile,
        cpu=cpu,
        fake_cpu_s=reply.get("cpu_s", 0.0),
        fake_build_cpu_s=reply.get("build_cpu_s", 0.0),
        gc=collections_.summary(),
        processes=[
            ProcessFigures(0, "0", watch.max_lateness * 1000, cpu.get("event loop", 0.0)),
            *others,
        ]
        if others
        else [],
        timeline=timeline.summary() if timeline is not None else [],
        sched=sched.figures,
        scheduling=passes.scheduling,
        memory=memory.summary() if memory else [],
    )
