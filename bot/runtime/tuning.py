"""Process settings that keep an event loop responsive while pipeline threads work."""

from __future__ import annotations

import gc
import sys

SWITCH_INTERVAL = 0.0005  # seconds; CPython's default is 0.005


def settle_after_startup() -> None:
    """Call once start-up is done (model, catalogs, history loaded).

    Start-up objects live for the whole process: moved out of the collector's reach, a full
    collection walks only what the work creates, not ~150,000 imported objects (a 150 ms
    stall of the loop, measured in bench.hostile). Pipeline threads (parsing, clustering,
    scoring) hold the GIL in 5 ms slices by default and the loop waits for it on every socket
    operation: shorter slices keep it answering while a pass runs.
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL)
