"""What a run and the whole benchmark print."""

from __future__ import annotations

import argparse
import collections
import math
from collections.abc import Callable

from bench._stats import median_of, percentile
from bench.interactions.measure import LOG_COUNTS, where
from bench.interactions.run import Result


def ms(value: float) -> str:
    return "missed" if math.isinf(value) else f"{value:.0f} ms"


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
            f"    {kind:26} n={len(values):3}  p50 {ms(percentile(values, 0.5)):>9}"
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


def print_summary(results: list[Result], args: argparse.Namespace) -> None:
    def med(get: Callable[[Result], float]) -> float:
        return median_of(results, get)

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
