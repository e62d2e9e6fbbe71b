"""What the engine hands to a Sender: a composed digest, an alert or a live post, plus its
marker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.compose.live import LiveStory
from bot.digest.model import Digest
from bot.i18n import Language


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A signal event worth one post per subscribed channel (e.g. a Russell breakout).

    `key` is stable and unique across runs ('rut:breakout:2026-11-20'); `at` is when the
    event happened (events older than the alert window are not posted); `payload` is
    whatever the renderer needs (e.g. the market engineer's event object).
    """

    key: str
    kind: str
    at: datetime
    payload: Any = None


@dataclass(frozen=True, slots=True)
class DigestMessage:
    digest: Digest
    marker: str  # goes verbatim into the embed footer; find_sent searches for it
    guild_id: int
    subscription_id: int
    local_date: date

    @property
    def language(self) -> Language:
        return self.digest.language


@dataclass(frozen=True, slots=True)
class AlertMessage:
    event: AlertEvent
    language: Language
    marker: str
    guild_id: int
    subscription_id: int


@dataclass(frozen=True, slots=True)
class LiveMessage:
    """One live story, or (`more`) one "N more stories" post listing what the rate cap held
    back."""

    stories: tuple[LiveStory, ...]
    more: bool
    language: Language
    marker: str
    guild_id: int
    subscription_id: int


OutMessage = DigestMessage | AlertMessage | LiveMessage
