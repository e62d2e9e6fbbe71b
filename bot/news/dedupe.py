"""Dedupe: the same story from several outlets, within a time window, becomes one story.

Exact duplicates (same GUID in a feed, same canonical link) are stopped by unique keys at
insert time; this module handles near-duplicates by comparing normalised title tokens.
Pure functions: the pipeline feeds them recent stories and stores the outcome.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.news import figures
from bot.news.langdetect import EN_STOPWORDS, NL_STOPWORDS, words_of

STORY_WINDOW = timedelta(hours=36)
MIN_SHARED = 2  # two titles must share at least this many distinctive tokens
THRESHOLD = 0.4  # weighted cosine needed to call two titles the same story
# Two stories an article bridges merge only if their own titles are this close: a round-up
# ("The Daily: Ripple ..., Hex Trust ...") matches two stories without making them one.
MERGE_THRESHOLD = 0.3
# A weaker title match still counts when title and summary together agree: rewrites in other
# words ("Tether wil Juventus overnemen" / "Tether doet bod op Juventus") share the facts.
CONFIRM_TITLE = 0.2
CONFIRM_CONTEXT = 0.3

# Function words of both languages plus headline filler that says nothing about the story.
_STOPWORDS = (
    EN_STOPWORDS
    | NL_STOPWORDS
    | words_of(
        "a or on been being it these those before off then no say report reports may might "
        "can here heres just now most via per vs his her our your we he she zich hun haar "
        "hij zij wil willen nieuws crypto cryptocurrency"
    )
)
# Figures, then words; digits glued to letters are a word ("web3", "1inch"), not a figure.
_TOKEN = re.compile(rf"(?P<figure>{figures.PATTERN})|[^\W_]+")


def _fold(text: str) -> str:
    """Lower-case and strip accents so 'überweisung' and 'uberweisung' meet."""
    if text.isascii():
        return text.lower()  # most titles: no accents to strip
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stem(token: str) -> str:
    # English plural only: 'approvals'/'approval', 'markets'/'market'.
    if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def title_tokens(title: str) -> frozenset[str]:
    """Normalised content tokens of a title; numbers are kept ('$90k', '15', '260%')."""
    tokens = set()
    for match in _TOKEN.finditer(_fold(title)):
        raw = match[0]
        if match.lastgroup == "figure":
            tokens.add(figures.normalise(raw))
            continue
        if raw in _STOPWORDS or len(raw) < 2:
            continue
        tokens.add(_stem(raw))
    return frozenset(tokens)


Weigher = Callable[[str], float]


def context_tokens(title: str, summary: str) -> frozenset[str]:
    """Tokens of the title and the summary together (for confirming weaker title matches)."""
    return title_tokens(title) | title_tokens(summary)


def idf(df: Mapping[str, int], n_docs: int) -> Weigher:
    """Inverse document frequency: 'bitcoin' weighs little, 'juventus' a lot."""
    n = n_docs + 1
    cache: dict[str, float] = {}

    def weight(token: str) -> float:
        value = cache.get(token)
        if value is None:
            value = cache[token] = math.log(1 + n / max(1, df.get(token, 0)))
        return value

    return weight


def token_weights(token_sets: Iterable[frozenset[str]]) -> Weigher:
    """IDF weights over the titles of the window."""
    sets = list(token_sets)
    df: Counter[str] = Counter()
    for tokens in sets:
        df.update(tokens)
    return idf(df, len(sets))


def similarity(a: frozenset[str], b: frozenset[str], weight: Weigher | None = None) -> float:
    """Weighted set cosine: shared weight over the geometric mean of both titles' weights.

    Tuned on the four English outlets of 2025-12-12: rewrites of one story score 0.4-0.7,
    different stories that share a name ("Tom Lee") stay below.
    """
    shared = a & b
    if len(shared) < MIN_SHARED:
        return 0.0
    if len(shared) < min(len(a), len(b)) and min(len(a), len(b)) < 4:
        # A very short title ("Most Influential: Tom Lee") must be contained entirely: two
        # shared names are not enough to call it the same story.
        return 0.0

    def w(tokens: frozenset[str]) -> float:
        return sum(map(weight, tokens)) if weight else float(len(tokens))

    norm = math.sqrt(w(a) * w(b))
    return w(shared) / norm if norm else 0.0


@dataclass(frozen=True)
class StoryCandidate:
    """One stored article's title tokens, labelled with its story."""

    story_id: int
    tokens: frozenset[str]
    published_at: datetime
    context: frozenset[str] = frozenset()  # title and summary tokens together


def match_stories(
    tokens: frozenset[str],
    published: datetime,
    candidates: Iterable[StoryCandidate],
    weight: Weigher | None = None,
    *,
    context: frozenset[str] = frozenset(),
    context_weight: Weigher | None = None,
    window: timedelta = STORY_WINDOW,
    threshold: float = THRESHOLD,
) -> list[int]:
    """Stories within the window whose titles match, best first; empty for a new story.

    A title score of CONFIRM_TITLE..threshold counts when the title-plus-summary tokens
    (`context`) score CONFIRM_CONTEXT. More than one story: see `should_merge`.
    """
    best: dict[int, float] = {}
    for cand in candidates:
        if abs(published - cand.published_at) > window or best.get(cand.story_id, 0) >= 1:
            continue
        if figures.disagree(tokens, cand.tokens):
            continue  # "$50M hack" / "$5M hack": two hacks, whatever else they share
        score = similarity(tokens, cand.tokens, weight)
        if score < threshold and not (
            score >= CONFIRM_TITLE
            and context
            and cand.context
            and similarity(context, cand.context, context_weight) >= CONFIRM_CONTEXT
        ):
            continue
        if score > best.get(cand.story_id, 0.0):
            best[cand.story_id] = score
    return sorted(best, key=lambda sid: (-best[sid], sid))


def should_merge(
    a: Iterable[frozenset[str]],
    b: Iterable[frozenset[str]],
    weight: Weigher | None = None,
    *,
    threshold: float = MERGE_THRESHOLD,
) -> bool:
    """Merge two stories when some title of one is close to some title of the other."""
    b_list = list(b)
    return any(
        similarity(x, y, weight) >= threshold and not figures.disagree(x, y)
        for x in a
        for y in b_list
    )


def signature(tokens: frozenset[str]) -> str:
    """The stored form of a story's tokens (sorted, space-separated)."""
    return " ".join(sorted(tokens))


def parse_signature(value: str) -> frozenset[str]:
    return frozenset(value.split())
