"""Benchmark: interactions through the fake Discord while pipeline passes run.

The bot is built exactly as `python -m bot run` builds it (create_bot on open_services) in
this process, which is therefore the Discord process measured. Everything else runs in
processes of its own, so the figures measure the bot alone: the fake Discord
(tests/fakediscord, driven over a pipe; it times each interaction), the feed sites (N feeds x
M entries made from the bundled sample items, fresh dates, new links for every pass, on 10
loopback addresses so the per-host limit applies as across sites), and every pass, run as
`python -m bot pipeline --once` on the same SQLite file: the entry point `run` supervises as
its child (--pass-inline puts the pass back in the bot's process, for comparison).

One run: a first pass (so there is data), two rounds of every command in the mix one at a
time (warm connections; the second round gives each command's latency alone), then the load
starts --offset seconds into a new pass: either a burst of --interactions (200) at once, or
with --sustained [RATE] RATE interactions/s (50) for --seconds (30), passes back to back
meanwhile. The mix: /news with and without a coin, /sentiment, /about, /language show,
/feeds list, /signal, autocompletes, on Dutch and English servers.

Measured: time to first response (p50/p99; a missed deadline counts as infinitely late),
the largest event-loop stall of the bot (a 5 ms ticker's worst lateness), missed deadlines
(the fake's 3 s), CPU seconds per thread of the bot process during the load, the bot
process's RSS after the passes, each pipeline process's peak RSS (--model default: scoring
with the default model's architecture and random weights), and the load average. A watchdog
thread samples the main thread's stack while the loop lags more than --stall-ms; under CPU
or GIL contention a sample shows where the loop thread waited, not necessarily slow code.
--cprofile profiles the main thread during the load; --profile samples it every 2 ms.
--memory-every 2 prints the bot process's RssAnon and Python's allocated blocks through the
load (freed heap kept by malloc against objects kept alive).

    .venv/bin/python -m bench.interactions [--runs 3] [--feeds 50] [--entries 50]
        [--interactions 200 | --sustained [50] --seconds 30] [--model default]
        [--offset 0.3] [--no-pass] [--pass-inline] [--stall-ms 50] [--stacks]
        [--memory-every SECONDS]

Exits 1 when any interaction missed its deadline.

Modules: `workload` (the feed sites, the Discord servers and the interaction mix), `fakeproc`
(the fake Discord's process), `measure` (stall ticker, stack watchdog, warning counts), `run`
(one run: setup, quiet round, the load during passes), `report` (what is printed) and
`__main__` (the command line).
"""
