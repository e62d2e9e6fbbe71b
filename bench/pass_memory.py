"""The pipeline process's memory during passes, without Discord: `python -m bot pipeline
--once` against local feed sites, one process per pass as bench.interactions runs it.

    .venv/bin/python -m bench.pass_memory [--feeds 50] [--entries 50] [--passes 2]
        [--model default|lexicon|DIR] [--model-dir DIR] [--trace] [--tracemalloc FRAMES]

Each pass serves a new feed generation (new links: every entry is new work to parse, store,
cluster and score) and prints the child's peak resident set (VmHWM) and its RSS at the end.
`--model lexicon` gives the pass's own memory without torch (the pass's heap); `default` (the
default) the e5 encoder's shape with random weights, saved to `--model-dir` (kept and reused
when given) as bench.interactions does. `--trace` runs the child under bench/_pass_trace.py:
RSS and glibc's heap every 10 ms and the threads' stacks at the peak; `--tracemalloc N` also
traces Python allocations (N frames; slows the pass) and prints the largest at the peak.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from bench import ROOT
from bench._stats import follow_memory
from bench.feedserver import feed_language
from bench.interactions.workload import FeedServers
from bench.pipeline_memory import save_random_e5_apart
from bot.runtime.supervisor import child_environment, lower_priority
from tests.harness import write_feeds_file

UNREACHABLE = "http://127.0.0.1:9/none"  # market sources: refused at once, no DNS


def model_env(model: str, model_dir: Path) -> dict[str, str]:
    if model == "lexicon":
        return {"SENTIMENT_BACKEND": "lexicon"}
    if model == "default":
        if not (model_dir / "config.json").exists():
            print(f"saving the default model's shape with random weights to {model_dir}")
            save_random_e5_apart(model_dir)
        return {
            "SENTIMENT_BACKEND": "transformers",
            "SENTIMENT_MODEL": "",
            "SENTIMENT_ENCODER": str(model_dir),
        }
    return {"SENTIMENT_BACKEND": "transformers", "SENTIMENT_MODEL": model}


async def one_pass(env: dict[str, str], trace: bool) -> tuple[float, float, float]:
    """(seconds, peak MB, RSS MB at the end) of one `pipeline --once` process."""
    module = "bench._pass_trace" if trace else "bot"
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, "pipeline", "--once", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    lower_priority(proc.pid)  # as `run` starts its pipeline child
    peak, end = await follow_memory(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"python -m {module} pipeline --once failed")
    return time.perf_counter() - start, peak, end


async def main_async(args: argparse.Namespace, model_dir: Path) -> None:
    feeds = FeedServers(args.feeds, args.entries)
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            feeds_file = write_feeds_file(
                tmp / "feeds.toml",
                [(f"Bench feed {i}", feeds.url(i), feed_language(i)) for i in range(args.feeds)],
            )
            env = child_environment({
                "DATA_DIR": str(tmp / "data"),
                "FEEDS_FILE": str(feeds_file),
                "FEEDS_ALLOW_PRIVATE": "true",
                "LOG_LEVEL": "WARNING",
                "HF_HUB_OFFLINE": "1",
                "PASS_TRACEMALLOC": str(args.tracemalloc),
                **{
                    f"MARKET_{name}_URL": UNREACHABLE
                    for name in ("YAHOO", "BINANCE", "BINANCE_FALLBACK", "COINGECKO", "FNG")
                },
                **model_env(args.model, model_dir),
            })  # fmt: skip
            peaks = []
            for n in range(1, args.passes + 1):
                feeds.next_generation()
                seconds, peak, end = await one_pass(env, args.trace or args.tracemalloc > 0)
                peaks.append(peak)
                print(
                    f"pass {n}: {seconds:.1f} s, peak {peak:.0f} MB, end {end:.0f} MB", flush=True
                )
            print(
                f"largest peak {max(peaks):.0f} MB ({args.model}, {args.feeds} feeds x "
                f"{args.entries} entries); load average "
                + " ".join(f"{v:.2f}" for v in os.getloadavg())
            )
    finally:
        feeds.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--model", default="default", help="default, lexicon or a model folder")
    parser.add_argument("--model-dir", help="where the random default model is (kept)")
    parser.add_argument("--trace", action="store_true", help="RSS, heap and stacks in the child")
    parser.add_argument("--tracemalloc", type=int, default=0, help="trace Python allocations")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(args.model_dir) if args.model_dir else Path(tmp) / "random-e5-small"
        asyncio.run(main_async(args, model_dir))


if __name__ == "__main__":
    main()
