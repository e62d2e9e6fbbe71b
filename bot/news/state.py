"""Per-feed fetch state: status, validators, failure count and exponential backoff."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.news.fetch import Conditional, FetchResult, FetchStatus
from bot.news.tables import feed_state
from bot.storage import Database
from bot.text_limits import ERROR_CHARS, VALIDATOR_CHARS, display_text
from bot.utils.backoff import exponential_backoff

MAX_BACKOFF = timedelta(hours=24)
GONE_BACKOFF = timedelta(days=1)


@dataclass(frozen=True)
class FeedState:
    feed_id: int
    status: str = "new"
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0
    last_error: str | None = None
    last_fetch_at: datetime | None = None
    last_ok_at: datetime | None = None
    next_fetch_at: datetime | None = None
    initialized: bool = False  # True once the feed's first (backlog) fetch has been stored

    @property
    def conditional(self) -> Conditional:
        return Conditional(self.etag, self.last_modified)

    def is_due(self, now: datetime) -> bool:
        """Only failing feeds wait: healthy ones are fetched whenever a pass runs."""
        if self.failures == 0 or self.next_fetch_at is None:
            return True
        return self.next_fetch_at <= now


def backoff(failures: int, interval: timedelta) -> timedelta:
    """interval, 2x, 4x ... capped at a day."""
    seconds = exponential_backoff(
        failures, base=interval.total_seconds(), cap=MAX_BACKOFF.total_seconds()
    )
    return timedelta(seconds=seconds)


def advance(
    state: FeedState,
    result: FetchResult,
    *,
    now: datetime,
    interval: timedelta,
    slow_after: float | None = None,
) -> FeedState:
    """The state after one fetch (pure: tested directly).

    A fetch that worked but took longer than `slow_after` seconds backs off like a failure:
    its articles are kept, but a slow host is asked less often, so it cannot hold every pass.
    """
    status = result.status
    if status in (FetchStatus.OK, FetchStatus.NOT_MODIFIED):
        fetched = replace(
            state,
            status=status.value,
            etag=result.etag if status is FetchStatus.OK else state.etag,
            last_modified=(
                result.last_modified if status is FetchStatus.OK else state.last_modified
            ),
            failures=0,
            last_error=None,
            last_fetch_at=now,
            last_ok_at=now,
            next_fetch_at=now + interval,
        )
        if result.seconds is None or slow_after is None or result.seconds <= slow_after:
            return fetched
        failures = state.failures + 1
        return replace(
            fetched,
            failures=failures,
            last_error=f"slow: {result.seconds:.1f} s",
            next_fetch_at=now + backoff(failures, interval),
        )
    failures = state.failures + 1
    wait = backoff(failures, interval)
    if status is FetchStatus.GONE:
        wait = max(wait, GONE_BACKOFF)
    if status is FetchStatus.BLOCKED and result.retry_after is not None:
        wait = max(wait, timedelta(seconds=result.retry_after))
    return replace(
        state,
        status=status.value,
        failures=failures,
        last_error=result.error,
        last_fetch_at=now,
        next_fetch_at=now + wait,
    )


async def load_states(db: Database, feed_ids: list[int]) -> dict[int, FeedState]:
    async with db.connection() as conn:
        rows = (
            await conn.execute(sa.select(feed_state).where(feed_state.c.feed_id.in_(feed_ids)))
        ).all()
    found = {row.feed_id: FeedState(**row._mapping) for row in rows}
    return {fid: found.get(fid, FeedState(fid)) for fid in feed_ids}


def _validator(value: str | None) -> str | None:
    return value if value is None or len(value) <= VALIDATOR_CHARS else None


async def save_state(db: Database, state: FeedState) -> None:
    """Store the state; what came from the server within bot/text_limits.py's limits."""
    values = {k: getattr(state, k) for k in FeedState.__dataclass_fields__}
    values["etag"] = _validator(state.etag)
    values["last_modified"] = _validator(state.last_modified)
    if state.last_error is not None:
        values["last_error"] = display_text(state.last_error, ERROR_CHARS)
    stmt = db.upsert(feed_state, ["feed_id"], [k for k in values if k != "feed_id"])
    async with db.begin() as conn:
        await conn.execute(stmt.values(**values))
