"""Protect what a translation model must not touch: swap it for placeholders, restore after.

URLs, 0x addresses, cashtags, @handles, #hashtags, emoji, coin tickers and coin names become
`ZXQA`, `ZXQB`, ...: letters only, so number localisation (`1.5` -> `1,5`) cannot touch them,
and one placeholder per occurrence, so "each comes back exactly once" is a plain count.
OPUS-MT has no placeholder support; models mostly copy such rare letter runs, and the checks
(bot/translate/checks.py) catch the times they do not.
Numbers are not masked: Dutch writes them differently, and the model should.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.news.coins import COINS

PREFIX = "ZXQ"
_LETTERS = "ABCDEFGHIJKLMNOPRSTUVWY"  # no Q, X, Z: "ZXQQ" would blur with the prefix
MAX_PLACEHOLDERS = len(_LETTERS) * (len(_LETTERS) + 1)

_URL = r"(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]"
_ADDRESS = r"\b0x[0-9a-fA-F]{6,64}\b"
_CASHTAG = r"(?<![\w$])\$[A-Za-z][A-Za-z0-9]{0,9}\b"
_HANDLE = r"(?<![\w@])@\w{1,32}"
_HASHTAG = r"(?<![\w#])#[A-Za-z]\w{0,40}"
# Pictographs, dingbats, flags, keycaps with their joiners and variation selectors.
_EMOJI = (
    r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF]"
    r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\uFE0F\u200D\U0001F3FB-\U0001F3FF]*"
)


def _names() -> list[str]:
    # Tickers only in upper case ("LINK", not "link"); names as the coin list spells them
    # ("Shiba Inu", "Chainlink"), longest first so "USD Coin" wins over "USD".
    words = {c.ticker for c in COINS} | {c.name for c in COINS}
    return sorted(words, key=len, reverse=True)


_COIN = r"(?<![\w$])(?:" + "|".join(re.escape(w) for w in _names()) + r")(?![\w])"
_PROTECTED = re.compile(
    "|".join(f"(?:{p})" for p in (_URL, _ADDRESS, _CASHTAG, _HANDLE, _HASHTAG, _EMOJI, _COIN))
)
_PLACEHOLDER = re.compile(rf"\b{PREFIX}[A-Z]{{1,2}}\b")
# What a model may make of a placeholder: lower case, split letters ("ZXQ A", "zxq a").
_MANGLED = re.compile(r"(?i)z\s*x\s*q")


def placeholder(index: int) -> str:
    n = len(_LETTERS)
    if index < n:
        return PREFIX + _LETTERS[index]
    index -= n
    return PREFIX + _LETTERS[index // n] + _LETTERS[index % n]


@dataclass(frozen=True)
class Masked:
    text: str  # what the model sees
    spans: dict[str, str]  # placeholder -> original


def mask(text: str) -> Masked:
    """Replace each protected span by its own placeholder (text beyond the limit stays)."""
    spans: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        if len(spans) >= MAX_PLACEHOLDERS:
            return match.group(0)
        key = placeholder(len(spans))
        spans[key] = match.group(0)
        return key

    return Masked(_PROTECTED.sub(swap, text), spans)


def without_placeholders(text: str, spans: dict[str, str]) -> str:
    """`text` with its own placeholders removed: what is left for a model to translate."""
    return _PLACEHOLDER.sub(lambda m: "" if m.group(0) in spans else m.group(0), text)


@dataclass(frozen=True)
class Unmasked:
    text: str
    problems: list[str]


def unmask(translated: str, spans: dict[str, str]) -> Unmasked:
    """Put the originals back; report placeholders missing, repeated, unknown or mangled."""
    problems: list[str] = []
    counts: dict[str, int] = {}

    def restore(match: re.Match[str]) -> str:
        key = match.group(0)
        if key not in spans:
            problems.append(f"unknown placeholder {key}")
            return key
        counts[key] = counts.get(key, 0) + 1
        return spans[key]

    text = _PLACEHOLDER.sub(restore, translated)
    for key in spans:
        seen = counts.get(key, 0)
        if seen != 1:
            problems.append(f"placeholder {key} ({spans[key]!r}) came back {seen} times")
    # Checked on the model's output, not the restored text: an original may hold "zxq" itself.
    leftover = _MANGLED.findall(_PLACEHOLDER.sub("", translated))
    if leftover:
        problems.append(f"mangled placeholder {leftover[0]!r}")
    return Unmasked(text, problems)
