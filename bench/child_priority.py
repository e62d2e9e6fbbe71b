"""How long the pipeline child's CPU work takes on a busy host, niced or in SCHED_IDLE
(PIPELINE_SCHEDULING), and how fast it stops when starved.

    nice python -m bench.child_priority [--work 1.0] [--cap 40]

The child burns `--work` CPU-seconds of Python and reports its wall time; a watcher thread
exits on stdin EOF, like `python -m bot pipeline --supervised`, and is stopped as the
supervisor stops it (stdin closed; SIGKILL after 10 s). It is started with
bot/runtime/supervisor.py `lower_priority`, beside busy processes either of this session at
this process's priority (a busy Discord process) or each in a session of its own (other
services: the scheduler shares the CPUs between sessions before it looks at priorities).
"""

from __future__ import annotations

import argparse
import os
import select
import subprocess
import sys
import time

from bot.runtime.supervisor import lower_priority

CHILD = """
import os, sys, threading, time
def watch():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
t0, c0 = time.monotonic(), time.process_time()
while time.process_time() - c0 < {work}:
    sum(range(1000))
print(time.monotonic() - t0, flush=True)
threading.Event().wait()
"""
BUSY = "while True: pass"
SETUPS = (
    (0, False, "nothing else running"),
    (1, False, "1 busy process of the bot's session"),
    (2, False, "2 busy processes of the bot's session"),
    (2, True, "2 busy processes of other sessions"),
)


def one(scheduling: str, busy: int, other_sessions: bool, work: float, cap: float) -> str:
    hogs = [
        subprocess.Popen([sys.executable, "-c", BUSY], start_new_session=other_sessions)
        for _ in range(busy)
    ]
    try:
        time.sleep(0.5)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD.format(work=work)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        applied = lower_priority(child.pid, scheduling=scheduling)
        assert child.stdout is not None and child.stdin is not None
        ready, _, _ = select.select([child.stdout], [], [], cap)
        took = f"{float(child.stdout.readline()):6.2f} s" if ready else f"not done in {cap:g} s"
        stopping = time.monotonic()
        child.stdin.close()
        try:
            child.wait(10)
            how = "stopped"
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            how = "killed"
        stop = time.monotonic() - stopping
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    return f"{applied:5} {work:g} CPU-s took {took:>16}; {how} in {stop:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--work", type=float, default=1.0, help="the child's CPU-seconds")
    parser.add_argument("--cap", type=float, default=40.0, help="give up waiting after (s)")
    args = parser.parse_args()
    for busy, other_sessions, label in SETUPS:
        for scheduling in ("nice", "idle"):
            line = one(scheduling, busy, other_sessions, args.work, args.cap)
            print(f"{label:38} {line}; load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
