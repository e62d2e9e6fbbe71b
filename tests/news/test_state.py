from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.news.fetch import FetchResult, FetchStatus
from bot.news.state import MAX_BACKOFF, FeedState, advance, backoff

NOW = datetime(2025, 12, 12, 12, tzinfo=UTC)
INTERVAL = timedelta(minutes=10)


def test_backoff_doubles_and_is_capped() -> None:
    waits = [backoff(n, INTERVAL) for n in range(1, 12)]
    assert waits[:4] == [INTERVAL, 2 * INTERVAL, 4 * INTERVAL, 8 * INTERVAL]
    assert waits[-1] == MAX_BACKOFF
    assert waits == sorted(waits)


def test_failures_accumulate_and_success_resets() -> None:
    state = FeedState(1, etag='"a"')
    fail = FetchResult(FetchStatus.FAILING, error="http_500")
    for n in range(1, 4):
        state = advance(state, fail, now=NOW, interval=INTERVAL)
        assert state.failures == n
        assert state.next_fetch_at == NOW + backoff(n, INTERVAL)
        assert not state.is_due(NOW)
    assert state.etag == '"a"' and state.last_error == "http_500"
    ok = FetchResult(FetchStatus.OK, etag='"b"', last_modified="x")
    state = advance(state, ok, now=NOW, interval=INTERVAL)
    assert (state.failures, state.last_error, state.status, state.etag) == (0, None, "ok", '"b"')
    assert state.is_due(NOW)  # healthy feeds are fetched on every pass


def test_not_modified_keeps_validators() -> None:
    state = FeedState(1, etag='"a"', last_modified="lm")
    state = advance(state, FetchResult(FetchStatus.NOT_MODIFIED), now=NOW, interval=INTERVAL)
    assert (state.etag, state.last_modified, state.status) == ('"a"', "lm", "not_modified")


def test_retry_after_and_gone_wait_longer() -> None:
    blocked = advance(
        FeedState(1),
        FetchResult(FetchStatus.BLOCKED, error="http_429", retry_after=7200),
        now=NOW,
        interval=INTERVAL,
    )
    assert blocked.next_fetch_at == NOW + timedelta(hours=2)
    gone = advance(
        FeedState(1), FetchResult(FetchStatus.GONE, error="http_410"), now=NOW, interval=INTERVAL
    )
    assert gone.next_fetch_at is not None and gone.next_fetch_at - NOW >= timedelta(days=1)
