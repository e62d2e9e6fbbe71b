"""An in-process Sender: a channel is a list of posts. For tests, the benchmark and demos.

It behaves like Discord where the engine relies on it: `enforce_nonce` dedupes a repeated
nonce within `nonce_window` (None switches that off, so tests prove `find_sent` alone keeps
deliveries exactly once), and `find_sent` searches a channel's posts for the marker.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.delivery.messages import OutMessage
from bot.delivery.sender import ChannelGone, PermissionLost


@dataclass(frozen=True, slots=True)
class Post:
    message_id: int
    channel_id: int
    nonce: str
    marker: str
    at: datetime
    message: OutMessage


class MemorySender:
    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        nonce_window: timedelta | None = timedelta(minutes=5),
        latency: float = 0.0,  # seconds per post: a Discord round trip, for benchmarks
    ) -> None:
        self.latency = latency
        self.posts: dict[int, list[Post]] = defaultdict(list)
        self.gone: set[int] = set()
        self.missing: dict[int, str] = {}  # channel -> permission the bot lacks there
        self.send_calls = 0
        self._clock = clock
        self._nonce_window = nonce_window
        self._next_id = 1_000_000

    def all_posts(self) -> list[Post]:
        return [p for posts in self.posts.values() for p in posts]

    def _check(self, channel_id: int) -> None:
        if channel_id in self.gone:
            raise ChannelGone(f"unknown channel {channel_id}")
        if channel_id in self.missing:
            raise PermissionLost(self.missing[channel_id])

    async def send(self, channel_id: int, message: OutMessage, *, nonce: str) -> int:
        self.send_calls += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        self._check(channel_id)
        now = self._clock()
        if self._nonce_window is not None:
            for post in self.posts[channel_id]:
                if post.nonce == nonce and now - post.at <= self._nonce_window:
                    return post.message_id
        self._next_id += 1
        self.posts[channel_id].append(
            Post(self._next_id, channel_id, nonce, message.marker, now, message)
        )
        return self._next_id

    async def find_sent(
        self, channel_id: int, nonce: str, marker: str, after: datetime
    ) -> int | None:
        self._check(channel_id)
        for post in self.posts[channel_id]:
            if post.at >= after and post.marker == marker:
                return post.message_id
        return None
