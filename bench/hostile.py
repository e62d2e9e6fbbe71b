"""Hostile feeds (issue #12) through the real fetch, parse, store and cluster path.

Each hostile document is served on loopback and ingested by bot.news.pipeline.ingest with the
guarded feed client of open_services (FEEDS_ALLOW_PRIVATE on: the sites are on 127.0.0.x).

    .venv/bin/python -m bench.hostile [--case NAME] [--plain]

Cases (bench/_hostile_docs.py builds the documents, bench/_hostile_server.py serves them from
a process of its own):

    stacked   a gzip bomb in two layers, `Content-Encoding: gzip, gzip`, 2 GiB of zeros
    gzip      1 GiB of zeros in one gzip layer
    br        1 GiB of zeros in brotli
    nested    4.8 MB of nested <div>s in an item's description or directly in an item, after
              a sane newer item; and once as the newest item
    entities  billion laughs, and one 50 kB entity referenced 100,000 times
    many      a feed of 10,000 entries
    similar   5,000 look-alike headlines (tests/news/cluster_workload.py) over 25 feeds
    slow      10 slow feeds on one host (6-10 s each, trickled) and 3 fast feeds elsewhere

Each case runs in a fresh process (the bot side; the sites are another). It ingests a sane
warm-up feed first, as a running bot has made passes before; then, as the bot and pipeline
processes do once started (bot.runtime.tuning), it freezes what is alive (gc.freeze) and
shortens the GIL slices (--plain: neither, to see what that is worth). It reports the measured
pass's wall time, its peak RSS growth (VmHWM, reset just before the pass, minus the RSS then),
the largest event-loop stall (a 5 ms LoopTicker), the longest full garbage collection in the
pass (one walks every object the process tracks, holding the GIL: it stalls the loop by
itself) and the outcome, against targets: peak RSS grows < 150 MB, no stall > 100 ms, 5,000
look-alike headlines cluster in < 10 s, and with 10 slow feeds on one host the other feeds'
articles are visible (ingest's publish callback, as the bot's pass publishes them) within 5 s
of the pass start.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import ROOT
from bench._hostile_docs import CASES
from bench._hostile_measure import FullGcWatch, Watch, hwm_mb, reset_peak_rss, timed_clustering
from bench._stats import LoopTicker, rss_mb
from bot.config import Settings, load_settings
from bot.news.feeds import FeedSpec
from bot.news.pipeline import FeedReport, ingest
from bot.news.state import FeedState, load_states
from bot.runtime.services import open_services
from bot.runtime.tuning import settle_after_startup

MAX_RSS_GROWTH_MB = 150.0
MAX_STALL = 0.100
MAX_CLUSTER_SECONDS = 10.0  # case "similar"
MAX_VISIBLE_SECONDS = 5.0  # case "slow"


@dataclass
class Result:
    case: str
    seconds: float
    rss_growth_mb: float
    stall: float
    stored: int
    outcome: str
    checks: list[tuple[bool, str]] = field(default_factory=list)
    full_gc: str = ""  # the full garbage collections during the pass
    full_gc_longest: float = 0.0
    load: float = 0.0  # 1-minute load average when the case started

    @property
    def passed(self) -> bool:
        return all(ok for ok, _ in self.checks)


# -- one case ----------------------------------------------------------------------------------


def _label(report: FeedReport, state: FeedState | None) -> str:
    text = f"ok, {report.entries} entries, {report.new} new" if report.status == "ok" else ""
    text = text or report.status
    error = report.error or (state.last_error if state else None)
    return f"{text} ({error})" if error else text


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} TB"


def _check(checks: list[tuple[bool, str]], ok: bool, text: str) -> None:
    checks.append((ok, text))


async def measure(case: str, info: dict[str, Any], settings: Settings, plain: bool) -> Result:
    ports, served, warm = info["ports"], info["feeds"], info["warmup"]
    urls = [f"http://127.0.0.{f['host'] + 1}:{ports[f['host']]}{f['path']}" for f in served]
    warm_url = f"http://127.0.0.{warm['host'] + 1}:{ports[warm['host']]}{warm['path']}"
    pairs = list(zip(served, urls, strict=True))
    specs = [FeedSpec(f"{case} {f['path']}", u, f["language"]) for f, u in pairs]
    fast_urls = [u for f, u in pairs if case == "slow" and not f["seconds"]]
    clusters: list[float] = []
    async with open_services(settings) as services:
        watch = Watch(services, fast_urls) if fast_urls else None
        # A running bot has made a pass before: lazy imports and SQL compilation are done.
        await ingest(services, feeds=[FeedSpec("warm-up", warm_url, warm["language"])])
        if watch:
            await watch.publish()  # the sentiment backend loaded, as in a running bot
            watch.seen.clear()
        if plain:  # a process that skips it
            gc.collect()
        else:  # what the bot and pipeline processes do once started
            settle_after_startup()
        reset_peak_rss()
        base = rss_mb()
        ticker = LoopTicker()
        ticking = asyncio.create_task(ticker.run())
        await asyncio.sleep(0)
        start = time.perf_counter()
        with timed_clustering(clusters), FullGcWatch() as full_gc:
            if watch:
                watch.start = start
            report = await ingest(services, feeds=specs, publish=watch.publish if watch else None)
        seconds = time.perf_counter() - start
        growth = hwm_mb() - base
        ticker.stopping = True
        await ticking
        states = await load_states(services.db, [r.feed.id for r in report.feeds])
    by_url = {r.feed.url: r for r in report.feeds}
    labels = []
    for f, url in pairs:
        r = by_url[url]
        label = _label(r, states.get(r.feed.id))
        sent = f"{_size(f['bytes'])}" + (f" {f['encoding']}" if f["encoding"] else "")
        sent += f" over {f['seconds']:.2f} s" if f["seconds"] else ""
        print(f"  {f['path']:<26} {sent:<24} {label}")
        name = f["path"].rsplit("/", 1)[-1]
        labels.append(f"{name}: {label}" if len(served) <= 5 else label.split(" (")[0])
    counts = collections.Counter(labels)
    outcome = "; ".join(f"{n}x {lab}" if n > 1 else lab for lab, n in counts.items())
    checks: list[tuple[bool, str]] = []
    _check(
        checks,
        growth < MAX_RSS_GROWTH_MB,
        f"peak RSS growth {growth:.0f} MB < {MAX_RSS_GROWTH_MB:.0f} MB",
    )
    _check(
        checks,
        ticker.max_lateness < MAX_STALL,
        f"largest loop stall {ticker.max_lateness * 1000:.0f} ms < {MAX_STALL * 1000:.0f} ms",
    )
    if case == "similar":
        took = sum(clusters)
        _check(
            checks,
            took < MAX_CLUSTER_SECONDS,
            f"clustering {report.new_articles} look-alike headlines {took:.2f} s "
            f"< {MAX_CLUSTER_SECONDS:.0f} s ({len(clusters)} cluster_pending call(s); "
            f"fetch+parse+store+cluster {seconds:.2f} s)",
        )
    if watch:
        expected = sum(by_url[u].new for u in fast_urls)
        at = watch.visible_after(expected)
        shown = "never" if at is None else f"{at:.2f} s"
        _check(
            checks,
            at is not None and at < MAX_VISIBLE_SECONDS,
            f"fast feeds' {expected} articles visible after {shown} < "
            f"{MAX_VISIBLE_SECONDS:.0f} s (publishes at "
            + ", ".join(f"{t:.1f}" for t, _ in watch.seen)
            + f" s; pass {seconds:.1f} s)",
        )
        limit = settings.feed_slow_seconds
        slow = [(f, by_url[u]) for f, u in pairs if f["seconds"]]
        marked = {
            f["path"]
            for f, r in slow
            if (s := states[r.feed.id]).failures and (s.last_error or "").startswith("slow:")
        }
        over = {f["path"] for f, _ in slow if f["seconds"] > limit}
        _check(
            checks,
            marked == over,
            f"{len(marked)} of {len(slow)} slow feeds back off with 'slow: ...' "
            f"(expected the {len(over)} trickling over FEED_SLOW_SECONDS={limit:g} s)",
        )
    return Result(
        case,
        seconds,
        growth,
        ticker.max_lateness,
        report.new_articles,
        outcome,
        checks,
        full_gc.describe(),
        full_gc.longest,
    )


async def run_case(case: str, plain: bool) -> Result:
    load = os.getloadavg()[0]
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench._hostile_server",
        case,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        info = json.loads(await server.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                data_dir=Path(tmp), feeds_allow_private=True, sentiment_backend="lexicon"
            )
            result = await measure(case, info, settings, plain)
    finally:
        server.stdin.close()
        try:
            await asyncio.wait_for(server.wait(), 10)
        except TimeoutError:
            server.kill()
            await server.wait()
    result.load = load
    return result


def print_result(r: Result) -> None:
    print(
        f"  wall {r.seconds:.2f} s, peak RSS +{r.rss_growth_mb:.0f} MB, "
        f"largest stall {r.stall * 1000:.0f} ms, {r.stored} articles stored "
        f"(load average {r.load:.2f}); {r.full_gc}"
    )
    for ok, text in r.checks:
        print(f"  {'PASS' if ok else 'FAIL'} {text}")


def summary(results: list[Result], plain: bool) -> None:
    print("\n| case | time | peak RSS growth | largest stall (full GC) | outcome | targets |")
    print("|---|---|---|---|---|---|")
    for r in results:
        verdict = "PASS" if r.passed else "FAIL: " + "; ".join(t for ok, t in r.checks if not ok)
        print(
            f"| {r.case} | {r.seconds:.2f} s | {r.rss_growth_mb:.0f} MB | "
            f"{r.stall * 1000:.0f} ms ({r.full_gc_longest * 1000:.0f} ms) | "
            f"{r.outcome} | {verdict} |"
        )
    cores = os.cpu_count()
    mode = "--plain (no gc.freeze, 5 ms GIL slices)" if plain else "as the bot process"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n{mode}; {cores} cores; load average at the end {load}")


def run_all(cases: list[str], plain: bool) -> int:
    """Each case in a fresh process: no case's memory or warm caches count in another's."""
    results = []
    for case in cases:
        cmd = [sys.executable, "-m", "bench.hostile", "--case", case, "--result-line"]
        cmd += ["--plain"] if plain else []
        with subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True) as child:
            assert child.stdout is not None
            for line in child.stdout:
                if line.startswith("RESULT "):
                    data = json.loads(line[len("RESULT ") :])
                    data["checks"] = [tuple(c) for c in data["checks"]]
                    results.append(Result(**data))
                else:
                    print(line, end="", flush=True)
        if not results or results[-1].case != case:
            print(f"case {case} gave no result (exit {child.returncode})")
    summary(results, plain)
    return 0 if len(results) == len(cases) and all(r.passed for r in results) else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=list(CASES), help="run only this case, in this process")
    parser.add_argument(
        "--plain",
        action="store_true",
        help="no gc.freeze() and CPython's 5 ms GIL slices, as `python -m bot pipeline` runs "
        "(the bot process does both once started: bot/discord/client.py)",
    )
    parser.add_argument("--result-line", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.case:
        sys.exit(run_all(list(CASES), args.plain))
    mode = "plain (as `python -m bot pipeline`)" if args.plain else "as the bot process"
    print(f"== {args.case}, {mode}", flush=True)
    result = asyncio.run(run_case(args.case, args.plain))
    print_result(result)
    if args.result_line:
        print("RESULT " + json.dumps(asdict(result)))
    sys.exit(0 if result.passed else 1)


if __name__ == "__main__":
    main()
