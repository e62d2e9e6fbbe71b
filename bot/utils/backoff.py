"""The one backoff formula: exponential from `base`, capped, never shorter than Retry-After."""

from __future__ import annotations


def exponential_backoff(
    attempt: int, *, base: float, cap: float, retry_after: float | None = None
) -> float:
    """Seconds to wait before attempt `attempt + 1` (attempt 1 waits `base`)."""
    # The exponent is bounded: a feed failing for months must not overflow a timedelta.
    wait = min(cap, base * 2 ** min(max(0, attempt - 1), 32))
    return max(wait, retry_after or 0.0)
