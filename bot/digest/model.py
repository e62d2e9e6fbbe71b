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
    articles: int
    label: str  # bearish / neutral / bullish (or "none" without articles)
    backends: tuple[str, ...]  # "lexicon", "transformers:<model>" ...

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
    score: float | None  # mean sentiment of its articles
    label: str | None


@dataclass(frozen=True, slots=True)
class CoinMood:
    symbol: str
    mentions: int  # articles in the last 24 h
    score: float | None
    label: str | None


@dataclass(frozen=True, slots=True)
class Macro:
    """Lines from the market signal report, already in the digest's language."""

    lines: tuple[str, ...]
    as_of: date | None
    sample_size: int | None  # completed historical breakout cases behind the signal


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
