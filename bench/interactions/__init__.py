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

    .venv/bin/python -m bench.interactions [--runs 3] [--feeds 50] [--entries 50]
        [--interactions 200] [--offset 0.3] [--no-pass] [--stall-ms 50] [--stacks]

Exits 1 when any interaction missed its deadline.

Modules: `workload` (the feed sites, the Discord servers and the interaction mix), `measure`
(stall ticker, stack watchdog, warning counts), `run` (one run: setup, quiet round, burst),
`report` (what is printed) and `__main__` (the command line).
"""
