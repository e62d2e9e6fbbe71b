"""Who held the CPUs during a run's load, from a kernel scheduler trace.

    perf record -k CLOCK_MONOTONIC -a -o sched.data \\
        -e sched:sched_switch,sched:sched_wakeup,sched:sched_wakeup_new \\
        -- nice python -m bench.interactions --runs 1 --perf-window window.json
    python -m bench.interactions.perfsched sched.data window.json

`--perf-window` writes the load's window (on CLOCK_MONOTONIC, perf's `-k` clock) and the
process ids by role: the bot's event loop and the bench's stall watchdog (threads of the bot
process), the fake Discord, the pipeline child, the feed sites. Printed, for that window:
each role's time on each CPU (others: processes outside the run, e.g. another benchmark),
who preempted whom, and how long woken tasks waited for a CPU, by the task that held the CPU
they were woken on. bench/interactions/sched.py gives the totals without a trace.
"""

from __future__ import annotations

import collections
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field

EVENT = re.compile(r"\s*(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:(\w+):\s+(.*)")
FIELD = re.compile(r"(\w+)=(\S+)")


@dataclass
class Summary:
    ran: collections.Counter[tuple[str, int]] = field(default_factory=collections.Counter)
    preempted: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    waited: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    behind: dict[tuple[str, str], list[float]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )


def events(trace: str, start: float, end: float) -> list[tuple[int, int, float, str, dict]]:
    out = subprocess.run(
        ["perf", "script", "-i", trace, "--time", f"{start},{end}",
         "-F", "pid,tid,cpu,time,event,trace"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = []
    for line in out.splitlines():
        m = EVENT.match(line)
        if m:
            pid, tid, cpu, t = int(m[1]), int(m[2]), int(m[3]), float(m[4])
            found.append((pid, tid, cpu, t, {"event": m[5], **dict(FIELD.findall(m[6]))}))
    return found


def summarise(found: list[tuple[int, int, float, str, dict]], roles: dict[int, str], end: float):
    process = {tid: pid for pid, tid, *_ in found}  # a switch is recorded in the leaving task

    def role(tid: int) -> str:
        if tid == 0:
            return "idle"
        if tid in roles:
            return roles[tid]
        owner = roles.get(process.get(tid, -1))
        return f"{owner} threads" if owner else "others"

    s = Summary()
    on_cpu: dict[int, tuple[int, float]] = {}
    runnable: dict[int, tuple[float, str]] = {}  # tid -> (since, who held its CPU then)
    for _pid, _tid, cpu, t, f in found:
        if f["event"] == "sched_switch":
            prev, nxt = int(f["prev_pid"]), int(f["next_pid"])
            if cpu in on_cpu:
                s.ran[(role(on_cpu[cpu][0]), cpu)] += t - on_cpu[cpu][1]
            if f["prev_state"].startswith("R") and prev:
                s.preempted[(role(prev), role(nxt))] += 1
                runnable[prev] = (t, role(nxt))
            on_cpu[cpu] = (nxt, t)
            if nxt in runnable:
                since, holder = runnable.pop(nxt)
                s.waited[role(nxt)].append(t - since)
                s.behind[(role(nxt), holder)].append(t - since)
        elif f["event"].startswith("sched_wakeup"):  # runnable from now on, on target_cpu
            target = int(f["target_cpu"])
            holder = role(on_cpu[target][0]) if target in on_cpu else "?"
            runnable[int(f["pid"])] = (t, holder)
    for cpu, (tid, since) in on_cpu.items():
        s.ran[(role(tid), cpu)] += end - since
    return s


def report(s: Summary, start: float, end: float) -> str:
    lines = [f"the load: {1000 * (end - start):.0f} ms; time on each CPU (ms):"]
    names = sorted({name for name, _ in s.ran})
    cpus = sorted({cpu for _, cpu in s.ran})
    for name in names:
        per = "  ".join(f"cpu{c} {1000 * s.ran[(name, c)]:6.1f}" for c in cpus)
        lines.append(f"  {name:22} {per}")
    lines.append("waiting for a CPU once runnable: count, total ms, longest ms")
    for name, waits in sorted(s.waited.items(), key=lambda i: -sum(i[1])):
        lines.append(
            f"  {name:22} {len(waits):5} {1000 * sum(waits):7.1f} {1000 * max(waits):6.2f}"
        )
    lines.append("  ... by the task on its CPU when it became runnable (the 10 largest):")
    for (name, holder), waits in sorted(s.behind.items(), key=lambda i: -sum(i[1]))[:10]:
        lines.append(f"  {name:22} behind {holder:22} {len(waits):5} {1000 * sum(waits):7.1f}")
    lines.append("preemptions (taken off a CPU while runnable), by the task that got it:")
    for (victim, by), n in s.preempted.most_common(10):
        lines.append(f"  {victim:22} by {by:22} {n}")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    trace, window_file = sys.argv[1], sys.argv[2]
    with open(window_file, encoding="utf-8") as f:
        window = json.load(f)
    start, end = window["start"], window["end"]
    roles = {int(pid): name for pid, name in window["roles"].items()}
    print(report(summarise(events(trace, start, end), roles, end), start, end))


if __name__ == "__main__":
    main()
