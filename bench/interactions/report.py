"""What a run and the whole benchmark print."""

from __future__ import annotations

import argparse
import collections
import math
from collections.abc import Callable

from bench._stats import median_of, percentile
from bench.interactions.measure import LOG_COUNTS, STALLS_KEPT, where
from bench.interactions.run import Result
from bench.interactions.sched import describe
from bot.discord import eventloop


def ms(value: float) -> str:
    return "missed" if math.isinf(value) else f"{value:.0f} ms"


def print_run(n: int, r: Result, args: argparse.Namespace) -> None:
    passes = ", ".join(
        f"{p.seconds:.1f} s/{p.new_articles} new"
        + (f"/RSS {p.end_rss_mb:.0f} MB, peak {p.peak_rss_mb:.0f}" if p.peak_rss_mb else "")
        for p in r.passes
    )
    print(
        f"run {n}: first response p50 {ms(r.p50_ms)}, p99 {ms(r.p99_ms)} "
        f"(max {ms(r.max_ms)}; of the {r.answered} answered in time: p50 "
        f"{ms(r.answered_p50_ms)}, p99 {ms(r.answered_p99_ms)}); "
        f"largest loop stall {r.stall_ms:.0f} ms; missed deadlines {r.missed}; "
        f"load {r.load_s:.2f} s; passes (the first before the load): {passes}; "
        f"bot process RSS {r.bot_rss_mb:.0f} MB; load average {_loadavg(r)}"
    )
    print("    first response by command: under load p50 / max, and alone (quiet, before)")
    for kind, values in sorted(r.by_kind.items()):
        print(
            f"    {kind:26} n={len(values):4}  p50 {ms(percentile(values, 0.5)):>9}"
            f"  max {ms(max(values)):>9}   alone {r.quiet.get(kind, math.nan):6.1f} ms"
        )
    busy = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r.cpu.items(), key=lambda i: -i[1]) if v)
    print(f"    CPU seconds of the bot process during the {r.load_s:.2f} s load, by thread: {busy}")
    print(
        f"    CPU seconds of the fake Discord process meanwhile: {r.fake_cpu_s:.2f} "
        f"({_fake_ms(r):.2f} ms per interaction; building the burst before the load: "
        f"{r.fake_build_cpu_s:.2f} s)"
    )
    print(f"    garbage collections in the bot's process meanwhile: {r.gc}")
    if r.sched:
        print(
            "    the processes on the CPUs during the load (schedstat; pipeline child: "
            f"{r.scheduling or '-'}):"
        )
        print("\n".join("      " + line for line in describe(r.sched).splitlines()))
    total = sum(r.profile.values()) or 1
    if r.profile:
        print(f"    where the main thread was during the load ({total} samples every ~2 ms):")
    for place, count in r.profile.most_common(args.top):
        print(f"      {100 * count / total:5.1f}%  {place}")
    for line in [*r.timeline, *r.memory]:
        print("    " + line)
    for line, count in LOG_COUNTS.counts.most_common(5):
        print(f"    log: {count:4}x {line}")
    LOG_COUNTS.counts.clear()
    for stall in r.stalls[:STALLS_KEPT]:
        places = collections.Counter(where(s) for s in stall.samples)
        print(f"    stall {stall.seconds * 1000:.0f} ms, {len(stall.samples)} samples:")
        for place, count in places.most_common(3):
            print(f"      {count:3}x {place}")
        if args.stacks and stall.samples:
            print("".join(stall.samples[len(stall.samples) // 2].format()[-8:]), end="")


def _fake_ms(r: Result) -> float:
    """The fake Discord's CPU per interaction during the load, in ms."""
    return 1000 * r.fake_cpu_s / max(1, sum(len(v) for v in r.by_kind.values()))


def _loadavg(r: Result) -> str:
    return " ".join(f"{v:.1f}" for v in r.loadavg)


def print_summary(results: list[Result], args: argparse.Namespace) -> None:
    def med(get: Callable[[Result], float]) -> float:
        return median_of(results, get)

    def loop_cpu(r: Result) -> float:
        return r.cpu.get("event loop", 0.0)

    if args.sustained is not None:
        load = f"{args.sustained:g}/s for {args.seconds:g} s"
        target = "p99 < 100 ms"
    else:
        load = f"{args.interactions} at once"
        target = "p99 < 250 ms"
    where_ = "in the bot's process" if args.pass_inline else "in their own process"
    mode = "without a pass" if args.no_pass else f"during passes {where_}"
    pipeline_peak = [max((p.peak_rss_mb for p in r.passes), default=0.0) for r in results]
    pipeline_end = [max((p.end_rss_mb for p in r.passes), default=0.0) for r in results]
    print(
        f"\nmedian of {len(results)} run(s), {load} {mode} "
        f"({args.feeds} feeds x {args.entries} entries):\n"
        f"  time to first response p50 {ms(med(lambda r: r.p50_ms))}, "
        f"p99 {ms(med(lambda r: r.p99_ms))}   (target {target}; a missed deadline counts "
        "as infinitely late)\n"
        f"    of those answered in time ({med(lambda r: r.answered):.0f}): "
        f"p50 {ms(med(lambda r: r.answered_p50_ms))}, p99 {ms(med(lambda r: r.answered_p99_ms))}\n"
        f"  largest event-loop stall {med(lambda r: r.stall_ms):.0f} ms   (target < 50 ms)\n"
        f"  missed deadlines {sum(r.missed for r in results)} in total   (target 0)\n"
        f"  bot (Discord) process RSS after the passes {med(lambda r: r.bot_rss_mb):.0f} MB "
        "(target < 200 MB)\n"
        f"  pipeline process RSS at the end of a pass "
        f"{sorted(pipeline_end)[len(pipeline_end) // 2]:.0f} MB, "
        f"peak {sorted(pipeline_peak)[len(pipeline_peak) // 2]:.0f} MB "
        f"({'model ' + str(args.model) if args.model else 'lexicon'})\n"
        f"  event-loop thread CPU during the load {med(loop_cpu):.2f} s "
        f"({eventloop.loop_factory(args.loop)[0]}); the fake Discord process's CPU "
        f"{med(lambda r: r.fake_cpu_s):.2f} s ({med(_fake_ms):.2f} ms per interaction)\n"
        f"  load average at the end of each run: {'; '.join(_loadavg(r) for r in results)}"
    )
