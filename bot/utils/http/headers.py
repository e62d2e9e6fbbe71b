"""Headers every HTTP caller reads (Retry-After) or sends (a User-Agent) the same way."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# A per-feed User-Agent comes from the operator's FEEDS_FILE and goes on the wire as is: one
# line of printable ASCII, or a newline would start a header (or a request) of its own.
USER_AGENT_CHARS = 200
_VISIBLE_ASCII = re.compile(r"[\x20-\x7e]+")


def check_user_agent(value: str) -> str:
    """The value to send; ValueError says why it cannot be one (length, characters)."""
    if not value or value != value.strip():
        raise ValueError("user_agent must be non-empty, without leading or trailing spaces")
    if len(value) > USER_AGENT_CHARS:
        raise ValueError(f"user_agent is longer than {USER_AGENT_CHARS} characters")
    if not _VISIBLE_ASCII.fullmatch(value):
        raise ValueError("user_agent must be printable ASCII: no control characters or newlines")
    return value
