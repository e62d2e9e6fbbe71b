"""Where the pipeline's CPU work runs: one dedicated worker thread.

Parsing, normalising, clustering and scoring are CPU-bound Python. Run in several threads at
once they gain nothing (one GIL) but take the GIL from the event loop again and again, and
slash commands wait. One thread gives the same throughput and leaves the loop free; short
jobs that commands start themselves (a chart) keep using the default executor.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_pipeline = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pipeline")


async def run_pipeline_work(func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Like asyncio.to_thread (context variables included), on the pipeline's own thread."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    return await loop.run_in_executor(_pipeline, call)
