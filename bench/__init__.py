"""Benchmarks: each prints its figures and is run from the repository root as a module.

    .venv/bin/python -m bench.ingest        # one ingest pass over local feed servers
    .venv/bin/python -m bench.digest        # 1,000 digests due in the same minute
    .venv/bin/python -m bench.scale         # 10,000 digests over two shard processes
    .venv/bin/python -m bench.sentiment     # headlines/s and memory per sentiment backend
    .venv/bin/python -m bench.interactions  # 200 interactions at once during a pass
    .venv/bin/python -m bench.hostile       # hostile feeds through the real pass (issue #12)

`make bench` runs them (BENCHES=..., BENCH_ARGS=...). Shared pieces: `_stats` (percentiles,
memory, CPU by thread, event-loop lateness), `feedserver` (the benchmark feed sites),
`_digests` (a database with news and due subscriptions) and tests/harness.py (the bot
against the fake Discord).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository
