"""What the delivery engine needs from Discord, and the failures it understands.

The discord.py-backed implementation lives with the Discord glue; tests and the benchmark use
`bot.delivery.memory.MemorySender`. Contract (see docs/digest.md, "Exactly once"):

- `send` posts `message` in the channel with `nonce` and Discord's `enforce_nonce`, so a
  repeated send with the same nonce within Discord's window returns the original message
  instead of posting again. It puts `message.marker` verbatim in the embed footer, and
  returns the message id. It raises:
  - `ChannelGone` for an unknown/deleted channel (404, 10003) or one the bot cannot see,
  - `PermissionLost(permission)` when a permission it needs is missing (403, 50013/50001),
    naming it in snake_case ('embed_links', 'send_messages', 'read_message_history', ...),
  - `RetryableSendError(retry_after)` for 429 and 5xx and transport errors.
  Any other exception is treated as retryable too, but logged with its traceback.
- `find_sent` looks for a message the bot itself posted in the channel after `after` whose
  footer contains `marker` (or whose nonce is `nonce`) and returns its id, else None. It may
  raise the same exceptions. It is how a restarted process learns that a send it cannot
  remember did in fact reach Discord.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.delivery.messages import OutMessage


class DeliveryError(Exception):
    """Base class for the failures a Sender reports."""


class ChannelGone(DeliveryError):
    """The channel was deleted, or the bot can no longer see it."""


class PermissionLost(DeliveryError):
    def __init__(self, permission: str) -> None:
        super().__init__(f"missing permission {permission}")
        self.permission = permission


class RetryableSendError(DeliveryError):
    """A 429, a 5xx or a transport error: try again later with the same nonce."""

    def __init__(self, retry_after: float | None = None, detail: str = "") -> None:
        super().__init__(detail or f"retryable (retry after {retry_after})")
        self.retry_after = retry_after


class Sender(Protocol):
    async def send(self, channel_id: int, message: OutMessage, *, nonce: str) -> int: ...

    async def find_sent(
        self, channel_id: int, nonce: str, marker: str, after: datetime
    ) -> int | None: ...
