"""Benchmark: 200 mixed interactions at once through the fake Discord, during an ingest pass.

The bot is built exactly as `python -m bot run` builds it (create_bot on open_services) and
talks to tests/fakediscord through DISCORD_API_BASE / DISCORD_GATEWAY_URL. A child process
(like a remote site: its work is not the bot's) serves N feeds x M entries made from the
bundled sample items with fresh dates, on 10 loopback addresses so the per-host limit
applies as it would across sites.

One run: a first ingest-and-score pass (so there is data), two rounds of every command in
the mix one at a time (warm connections; the second round gives each command's latency
alone), then the feeds switch to a second generation (new links: real parsing, storing,
clustering and scoring) and `pipeline_pass` runs while 200 interactions (/news with and
without a coin, /sentiment, /about, /language show, /feeds list, /signal, autocompletes, on
Dutch and English servers) are injected at once, --offset seconds after the pass started.

Measured: time to first response (the fake's elapsed_ms, p50/p99), the largest event-loop
stall (a 5 ms ticker's worst lateness), missed deadlines (the fake's 3 s), the burst's wall
time, CPU seconds per thread during the burst. A watchdog thread samples the main thread's
stack while the loop lags more than --stall-ms; under GIL contention a sample shows where
the loop thread was waiting for the GIL (often a socket call), not necessarily slow code.
--cprofile profiles the main thread during the burst; --profile samples it every 2 ms.

    .venv/bin/python bench/interactions.py [--runs 3] [--feeds 50] [--entries 50]
        [--interactions 200] [--offset 0.3] [--no-pass] [--stall-ms 50] [--stacks]

Exits 1 when any interaction missed its deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import io
import logging
import math
import multiprocessing
import os
import pstats
import re
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bench.feedserver import serve  # noqa: E402
from bot.config import Settings, load_settings  # noqa: E402
from bot.market.signal import ensure_bundled_history  # noqa: E402
from bot.news.parse import parse_bytes  # noqa: E402
from bot.news.samples import SAMPLE_DIR  # noqa: E402
from bot.news.tables import articles  # noqa: E402
from bot.runtime.jobs import pipeline_pass  # noqa: E402
from bot.runtime.services import Services, open_services  # noqa: E402
from tests.discord.conftest import rss, start_bot, stop_bot  # noqa: E402
from tests.fakediscord import Channel, FakeDiscord, Guild, Member, User  # noqa: E402
from tests.fakediscord.records import InteractionHandle  # noqa: E402

HOSTS = 10
OWNER, ALICE = User(1001, "owner"), User(1003, "alice")


# -- feeds -------------------------------------------------------------------------------------

Item = tuple[str, str, str]  # (headline, link, body) as tests.discord.conftest.rss takes them


def item_pools() -> dict[str, list[Item]]:
    """Every item of the bundled sample feeds, by language (real headlines and summaries)."""
    pools: dict[str, list[Item]] = {"en": [], "nl": []}
    for path in sorted(SAMPLE_DIR.glob("*.rss")):
        lang = "nl" if "_nl_" in path.name else "en"
        for e in parse_bytes(path.read_bytes()).entries:
            pools[lang].append((e.title, re.sub(r"[?#].*$", "", e.link).rstrip("/"), e.summary))
    return pools


def feed_documents(
    n_feeds: int, n_entries: int, generation: int, pools: dict[str, list[Item]]
) -> dict[str, bytes]:
    """Each feed's RSS; a new generation re-publishes the items under new links."""
    docs = {}
    for n in range(n_feeds):
        lang = "nl" if n % 3 == 0 else "en"
        pool = pools[lang]
        items = [
            (title, f"{link}-f{n}-g{generation}", body)
            for title, link, body in (
                pool[(n * 7 + i + generation * 13) % len(pool)] for i in range(n_entries)
            )
        ]
        docs[f"/feed/{n}.xml"] = rss(f"Bench feed {n}", items, lang)
    return docs


def serve_feeds(generations: list[dict[str, bytes]], current: Any, ports: Any) -> None:
    """Child process: threaded HTTP servers on 127.0.0.1-10 serving `generations[current]`."""
    servers = []
    for h in range(HOSTS):
        server = serve(lambda path: generations[current.value].get(path), f"127.0.0.{h + 1}")
        servers.append(server)
    ports.put([server.server_address[1] for server in servers])
    threading.Event().wait()  # until the parent terminates us


class FeedServers:
    """The feed sites, in a child process: like remote sites, their work is not the bot's
    (in threads of this process they would compete with the bot for the GIL)."""

    def __init__(self, generations: list[dict[str, bytes]]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.current = ctx.Value("i", 0)
        ports = ctx.Queue()
        self.process = ctx.Process(
            target=serve_feeds, args=(generations, self.current, ports), daemon=True
        )
        self.process.start()
        self.ports: list[int] = ports.get(timeout=60)

    def serve_generation(self, n: int) -> None:
        self.current.value = n

    def url(self, n: int) -> str:
        return f"http://127.0.0.{n % HOSTS + 1}:{self.ports[n % HOSTS]}/feed/{n}.xml"

    def close(self) -> None:
        self.process.terminate()
        self.process.join(5)


# -- Discord world and the mix -----------------------------------------------------------------


def world() -> list[Guild]:
    """Two Dutch and two English servers."""
    guilds = []
    for i, locale in enumerate(("nl", "en-US", "nl", "en-GB")):
        guilds.append(
            Guild(
                id=(i + 1) << 22 | 1,
                name=f"Crypto {locale} {i}",
                owner_id=OWNER.id,
                preferred_locale=locale,
                channels=[Channel(2001 + i, "general")],
                members=[Member(OWNER), Member(ALICE)],
            )
        )
    return guilds


@dataclass(frozen=True)
class Ask:
    name: str
    options: dict[str, Any] = field(default_factory=dict)
    focused: str | None = None  # set: an autocomplete request

    @property
    def label(self) -> str:
        return f"{self.name} (autocomplete)" if self.focused else self.name


# One cycle of 20: the weights are a guess at real use (news most, the chart rarely).
MIX = [
    Ask("news"),
    Ask("news", {"coin": "BTC"}),
    Ask("news", {"coin": "ETH", "hours": 48}),
    Ask("news", {"language": "nl"}),
    Ask("news", {"coin": "bt"}, focused="coin"),
    Ask("news"),
    Ask("sentiment"),
    Ask("sentiment", {"coin": "BTC", "period": "7d"}),
    Ask("sentiment", {"coin": "e"}, focused="coin"),
    Ask("about"),
    Ask("language show"),
    Ask("feeds list"),
    Ask("signal"),
    Ask("news", {"coin": "SOL"}),
    Ask("sentiment", {"period": "30d"}),
    Ask("news", {"coin": "so"}, focused="coin"),
    Ask("news", {"hours": 6}),
    Ask("about"),
    Ask("language show"),
    Ask("news", {"coin": "XRP"}),
]


async def fire(fake: FakeDiscord, guild: Guild, ask: Ask) -> InteractionHandle:
    channel = guild.channels[0].id
    locale = guild.preferred_locale
    if ask.focused:
        return await fake.autocomplete(
            guild.id, channel, ALICE, ask.name, ask.options, ask.focused, locale=locale
        )
    return await fake.slash(guild.id, channel, ALICE, ask.name, ask.options, locale=locale)


async def finish(handle: InteractionHandle, ask: Ask) -> None:
    """Until the user sees the final reply (the chart after a defer)."""
    await handle.wait_response()  # DeadlineMissed as soon as the fake's deadline passes
    if not ask.focused:
        await handle.wait_final(timeout=30)


# -- loop stalls -------------------------------------------------------------------------------


@dataclass
class Stall:
    start: float
    seconds: float = 0.0
    samples: list[traceback.StackSummary] = field(default_factory=list)


class StallWatch:
    """A 5 ms ticker on the loop (worst lateness) and a watchdog thread that samples the main
    thread's stack every few ms while the ticker is late by more than `threshold`."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.beat = time.perf_counter()
        self.max_lateness = 0.0
        self.max_at = 0.0
        self.stalls: list[Stall] = []
        self._open: Stall | None = None
        self._main = threading.main_thread().ident
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.profiling = False  # sample the main thread continuously (where the loop's time goes)
        self.profile: collections.Counter[str] = collections.Counter()

    async def ticker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(0.005)
            late = loop.time() - before - 0.005
            now = time.perf_counter()
            with self._lock:
                self.beat = now
                if self._open is not None:
                    self._open.seconds = now - self._open.start
                    self.stalls.append(self._open)
                    self._open = None
            if late > self.max_lateness:
                self.max_lateness, self.max_at = late, now

    def _watch(self) -> None:
        while not self._stop.wait(0.002):
            now = time.perf_counter()
            stall = None
            with self._lock:
                if now - self.beat >= self.threshold + 0.005:
                    if self._open is None:
                        self._open = Stall(self.beat + 0.005)
                    stall = self._open
            if stall is None and not self.profiling:
                continue
            frame: FrameType | None = sys._current_frames().get(self._main or 0)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)
            if stall is not None:
                stall.samples.append(stack)
            if self.profiling:
                self.profile[where(stack)] += 1

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._watch, name="stall-watchdog", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def reset(self) -> None:
        with self._lock:
            self.max_lateness, self.stalls, self._open = 0.0, [], None
            self.profile = collections.Counter()


OWN_CODE = (str(ROOT / "bot"), str(ROOT / "cogs"))


def where(stack: traceback.StackSummary) -> str:
    """The innermost frame in our code, else the outermost library frame under the loop."""
    inner = stack[-1]
    if inner.name == "select" and inner.filename.endswith("selectors.py"):
        return "(idle: waiting in select)"
    ours = [f for f in stack if f.filename.startswith(OWN_CODE)]
    if ours:
        f = ours[-1]
        return f"{Path(f.filename).relative_to(ROOT)}:{f.lineno} {f.name}"
    calls = [f for f in stack if "site-packages" in f.filename or "/tests/" in f.filename]
    f = calls[0] if calls else inner
    return f"{'/'.join(Path(f.filename).parts[-2:])}:{f.lineno} {f.name}"


# -- CPU by thread ----------------------------------------------------------------------------


def thread_cpu() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) of each of this process's threads: {tid: (kind, seconds)}."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    cpu = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        tid = int(task.name)
        name = "event loop" if tid == os.getpid() else names.get(tid, "other")
        if "_connection_worker_thread" in name or "aiosqlite" in name:
            name = "aiosqlite"
        elif name.startswith("asyncio_"):
            name = "to_thread pool"
        elif "process_request_thread" in name or "serve_forever" in name:
            name = "feed server"
        cpu[tid] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return cpu


def cpu_delta(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
) -> dict[str, float]:
    by_kind: dict[str, float] = collections.defaultdict(float)
    for tid, (name, seconds) in after.items():
        by_kind[name] += seconds - before.get(tid, (name, 0.0))[1]
    return dict(by_kind)


# -- one run -----------------------------------------------------------------------------------


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
    feeds_file = tmp / "feeds.toml"
    feeds_file.write_text(
        "".join(
            f"[[feeds]]\nname = 'Bench feed {n}'\nurl = '{feeds.url(n)}'\n"
            f"language = '{'nl' if n % 3 == 0 else 'en'}'\n\n"
            for n in range(n_feeds)
        )
    )
    return load_settings(
        data_dir=tmp / "data",
        discord_api_base=fake.api_base,
        discord_gateway_url=fake.gateway_url,
        discord_token=SecretStr(fake.token),
        pipeline_enabled=False,  # the bench runs the passes itself, at known times
        feeds_file=feeds_file,
        feeds_allow_private=True,  # the bench feeds are served on 127.0.0.x
        sentiment_backend="lexicon",
    )


def ms(value: float) -> str:
    return "missed" if math.isinf(value) else f"{value:.0f} ms"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


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
                        result = await burst(args, fake, guilds, services, feeds, watch, pools)
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
    pools: dict[str, list[Item]],
) -> Result:
    feeds.serve_generation(1)  # new links: the pass does real work
    asks = [MIX[i % len(MIX)] for i in range(args.interactions)]
    targets = [guilds[i % len(guilds)] for i in range(args.interactions)]
    ticker = asyncio.create_task(watch.ticker())
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
        p50_ms=pct(firsts, 0.50),
        p99_ms=pct(firsts, 0.99),
        max_ms=max(firsts),
        answered_p50_ms=pct(answered, 0.50),
        answered_p99_ms=pct(answered, 0.99),
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


class LogCounts(logging.Handler):
    """Counts the bot's warnings and errors by logger and message (printed per run)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: collections.Counter[str] = collections.Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if "voice will NOT be supported" not in str(record.msg):
            self.counts[f"{record.levelname} {record.name}: {record.msg}"] += 1


LOG_COUNTS = LogCounts()


# -- report ------------------------------------------------------------------------------------


def print_run(n: int, r: Result, args: argparse.Namespace) -> None:
    print(
        f"run {n}: first response p50 {ms(r.p50_ms)}, p99 {ms(r.p99_ms)} "
        f"(max {ms(r.max_ms)}; of the {r.answered} answered in time: p50 "
        f"{ms(r.answered_p50_ms)}, p99 {ms(r.answered_p99_ms)}); "
        f"largest loop stall {r.stall_ms:.0f} ms; "
        f"missed deadlines {r.missed}; burst {r.burst_s:.2f} s; "
        f"concurrent pass {r.pass_s:.2f} s ({r.new_articles} new, {r.scored} scored)"
    )
    print("    first response by command: burst p50 / max, and alone (quiet, before the burst)")
    for kind, values in sorted(r.by_kind.items()):
        print(
            f"    {kind:26} n={len(values):3}  p50 {ms(pct(values, 0.5)):>9}"
            f"  max {ms(max(values)):>9}   alone {r.quiet.get(kind, math.nan):6.1f} ms"
        )
    busy = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r.cpu.items(), key=lambda i: -i[1]) if v)
    print(f"    CPU seconds during the {r.burst_s:.2f} s burst, by thread: {busy}")
    total = sum(r.profile.values()) or 1
    if r.profile:
        print(f"    where the main thread was during the burst ({total} samples every ~2 ms):")
    for place, count in r.profile.most_common(args.top):
        print(f"      {100 * count / total:5.1f}%  {place}")
    for line, count in LOG_COUNTS.counts.most_common(5):
        print(f"    log: {count:4}x {line}")
    LOG_COUNTS.counts.clear()
    for stall in r.stalls[:3]:
        places = collections.Counter(where(s) for s in stall.samples)
        print(f"    stall {stall.seconds * 1000:.0f} ms, {len(stall.samples)} samples:")
        for place, count in places.most_common(3):
            print(f"      {count:3}x {place}")
        if args.stacks and stall.samples:
            print("".join(stall.samples[len(stall.samples) // 2].format()[-8:]), end="")


async def main_async(args: argparse.Namespace) -> int:
    pools = item_pools()
    results = []
    for n in range(1, args.runs + 1):
        result = await one_run(args, pools)
        print_run(n, result, args)
        results.append(result)

    def med(get: Callable[[Result], float]) -> float:
        return statistics.median(get(r) for r in results)

    mode = "during a pass"
    if args.no_pass:
        mode = "without a pass"
    elif args.pass_process:
        mode = "during a pass in its own process"
    print(
        f"\nmedian of {len(results)} run(s), {args.interactions} interactions "
        f"{mode} "
        f"({args.feeds} feeds x {args.entries} entries):\n"
        f"  time to first response p50 {ms(med(lambda r: r.p50_ms))}, "
        f"p99 {ms(med(lambda r: r.p99_ms))}   (target p99 < 250 ms; a missed deadline counts "
        "as infinitely late)\n"
        f"    of those answered in time ({med(lambda r: r.answered):.0f} of {args.interactions}): "
        f"p50 {ms(med(lambda r: r.answered_p50_ms))}, p99 {ms(med(lambda r: r.answered_p99_ms))}\n"
        f"  largest event-loop stall {med(lambda r: r.stall_ms):.0f} ms   (target < 100 ms)\n"
        f"  missed deadlines {sum(r.missed for r in results)} in total   (target 0)\n"
        f"  burst wall time {med(lambda r: r.burst_s):.2f} s, "
        f"concurrent pass {med(lambda r: r.pass_s):.2f} s"
    )
    return 1 if any(r.missed for r in results) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
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
