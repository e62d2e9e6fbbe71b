"""The digest as plain data, for one language: what the embed and the terminal render.

Text that comes from feeds (titles, summaries, sources) is stored as-is; renderers escape
and clip it. Labels and numbers are formatted by the renderers, in the digest's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.i18n import Language, fmt_date, use_language


@dataclass(frozen=True, slots=True)
class Mood:
    """Sentiment of the last 24 h against the 24 h before, with its basis."""

    score: float | None  # mean in [-1, 1]; None without scored articles
    previous: float | None
    articles: int  # scored articles in the last 24 h
    label: str | None  # bearish / neutral / bullish; None without articles
    basis: tuple[tuple[str, str, int], ...] = ()  # (backend, model, articles it scored)

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous is None:
            return None
        return self.score - self.previous


@dataclass(frozen=True, slots=True)
class StoryItem:
    title: str
    summary: str
    link: str
    sources: tuple[str, ...]
    languages: tuple[str, ...]
    coins: tuple[str, ...]
    score: float | None  # mean sentiment of its scored articles
    label: str | None
    # How the text relates to the digest's language (bot.labels.origin_label): "native",
    # "translated" from `origin`, "pending" or "original" (shown as written in `origin`).
    shown: str = "native"
    origin: str = ""


@dataclass(frozen=True, slots=True)
class CoinMood:
    symbol: str
    mentions: int  # articles in the last 24 h naming it
    score: float | None  # mean of those that are scored
    label: str | None


@dataclass(frozen=True, slots=True)
class Macro:
    """The market backdrop, from the signal report (figures only; renderers word them)."""

    as_of: date | None  # the Russell 2000's last close
    rut_close: float | None
    rut_distance: float | None  # last close / record - 1 (0 at a record)
    rut_armed: bool  # the next close above the record would be a breakout
    last_breakout: date | None
    last_breakout_confirmed: bool | None
    eth_btc: float | None
    eth_btc_change: float | None  # over 90 days
    btc_dominance: float | None  # percent, e.g. 57.3
    dominance_gap: float | None  # points below its 1-year high
    fear_greed: float | None
    markers_present: int
    markers_total: int
    sample_size: int  # completed historical breakout cases behind the signal


@dataclass(frozen=True, slots=True)
class Digest:
    language: Language
    day: date  # the local date the digest is for (the header)
    generated_at: datetime
    mood: Mood
    stories: tuple[StoryItem, ...]
    coins: tuple[CoinMood, ...]
    macro: Macro | None

    @property
    def is_empty(self) -> bool:
        """No news and no market data: nothing worth posting but a 'no data yet' note."""
        return not self.stories and self.mood.articles == 0 and self.macro is None

    def header(self) -> str:
        """The date as the reader writes it: 'dinsdag 24 november 2026'."""
        with use_language(self.language):
            return fmt_date(self.day, "full")
