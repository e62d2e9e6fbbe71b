"""The offline backend: a bilingual (Dutch/English) lexicon and a few rules for headlines.

Words carry one of these roles (word lists in bot/data/sentiment/lexicon_*.txt):

- polar terms, good or bad news in themselves: hack, rally, goedkeuring, tegenvaller;
- directions, movement up or down: stijgt, daalt, falls, surges, cuts, minder;
- objects, what moves: profit and jobs are good things, loss, unemployment and rates bad ones,
  so a direction is read against the object ("loss narrows", "werkloosheid daalt" are good
  news). An object alone counts with its own (small) polarity;
- negators (not, geen, fails to) flip the next term, or in Dutch word order the previous one;
- intensifiers and diminishers (sharply, fors, licht) scale the next term;
- quantities (more, fewer, meer, minder) apply to the next polar term or object: "minder
  faillissementen", "fewer defaults", "less severe recession" are good news.

Headlines are split into clauses at commas, semicolons and contrast words: after "but"/"maar"
the second clause weighs more, after "despite"/"ondanks" and "after"/"na" less. Questions are
hedged. Dutch compounds (koersdaling, banenverlies, belastingverhoging) are read through their
head word, with the first part as object.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.sentiment.types import Label, Sentiment

BACKEND_NAME = "lexicon"
LEXICON_VERSION = "lexicon-v2"

# Roles of lexicon entries.
POL, UP, DOWN, OBJ, NEG, INT, QTY = "pol", "up", "down", "obj", "neg", "int", "qty"
_SECTIONS = {POL, UP, DOWN, OBJ, NEG, INT, QTY}

# |raw score| above this is polar (chosen on the first part of the dev data only).
THRESHOLD = 0.6
NEGATION_AHEAD = 3  # tokens after a negator it can reach
NEGATION_BEHIND = 2  # Dutch: "groeit niet", "valt niet tegen"
INTENSIFIER_AHEAD = 2
INTENSIFIER_BEHIND = 1
QUANTITY_AHEAD = 3
QUESTION_FACTOR = 0.6
MIN_COMPOUND_HEAD = 4
MIN_COMPOUND_PREFIX = 3

_TOKEN = re.compile(
    r"(?P<pct>[+\-−]\s?\d+(?:[.,]\d+)?\s?%)|(?P<word>\w+(?:['’]\w+)*)|(?P<punct>[?!;,])"
)
# Clause separators (weight of the clause before, weight of the clause after).
_CONTRAST = {
    "but": (0.5, 1.0),
    "maar": (0.5, 1.0),
    "however": (0.5, 1.0),
    "echter": (0.5, 1.0),
    "despite": (1.0, 0.3),
    "ondanks": (1.0, 0.3),
    # "recovers after a drop", "herstelt na daling": the news is the move, not its backdrop.
    "after": (1.0, 0.3),
    "na": (1.0, 0.3),
    "notwithstanding": (1.0, 0.3),
    "although": (1.0, 0.5),
    "hoewel": (1.0, 0.5),
    "though": (1.0, 0.5),
    "while": (1.0, 0.7),
    "terwijl": (1.0, 0.7),
}


@dataclass(frozen=True, slots=True)
class Entry:
    role: str
    weight: float  # polarity for pol/obj, strength for up/down, factor for int
    fallback: float = 0.0  # int: polarity when nothing follows ("record", "sterk")


Lexicon = dict[tuple[str, ...], Entry]


def _expand_english(word: str) -> list[str]:
    """`surge+` -> surge, surges, surged, surging (regular English verb forms)."""
    base = word[:-1]
    if base.endswith("e"):
        return [base, base + "s", base + "d", base[:-1] + "ing"]
    if base.endswith("y") and base[-2:-1] not in "aeiou":
        return [base, base[:-1] + "ies", base[:-1] + "ied", base + "ing"]
    if base.endswith(("sh", "ch", "s", "x", "z")):
        return [base, base + "es", base + "ed", base + "ing"]
    return [base, base + "s", base + "ed", base + "ing"]


def parse_lexicon(lines: Iterable[str]) -> Lexicon:
    """Parse `[role]` sections of `weight: term, term` lines (`#` comments)."""
    lexicon: Lexicon = {}
    role = ""
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            role = line.strip("[]").strip()
            if role not in _SECTIONS:
                raise ValueError(f"line {number}: unknown section {role!r}")
            continue
        head, sep, terms = line.partition(":")
        if not sep or not role:
            raise ValueError(f"line {number}: expected 'weight: terms' in a section")
        numbers = head.split("/")
        weight = float(numbers[0]) if numbers[0].strip() else 1.0
        fallback = float(numbers[1]) if len(numbers) > 1 else 0.0
        for term in terms.split(","):
            term = term.strip().lower()
            if not term:
                continue
            words = term.split()
            forms = _expand_english(words[-1]) if words[-1].endswith("+") else [words[-1]]
            for form in forms:
                lexicon[(*words[:-1], form)] = Entry(role, weight, fallback)
    return lexicon


@cache
def _packaged(language: str) -> Lexicon:
    text = resources.files("bot").joinpath(f"data/sentiment/lexicon_{language}.txt")
    return parse_lexicon(text.read_text(encoding="utf-8").splitlines())


@dataclass(frozen=True, slots=True)
class _Hit:
    pos: int
    role: str
    weight: float
    fallback: float = 0.0


class _Analyser:
    """Lexicon lookups for one text language: its own words first, then the other's."""

    def __init__(self, primary: Lexicon, secondary: Lexicon, compound_heads: Lexicon) -> None:
        merged = {**secondary, **primary}
        self.words = {k[0]: v for k, v in merged.items() if len(k) == 1}
        self.phrases: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        for key, entry in merged.items():
            if len(key) > 1:
                self.phrases.setdefault(key[0], []).append((key, entry))
        for options in self.phrases.values():
            options.sort(key=lambda item: -len(item[0]))
        self.heads = {
            k[0]: v
            for k, v in compound_heads.items()
            if len(k) == 1 and len(k[0]) >= MIN_COMPOUND_HEAD and v.role != NEG
        }
        self._compounds: dict[str, tuple[Entry | None, Entry] | None] = {}

    def compound(self, token: str) -> tuple[Entry | None, Entry] | None:
        """(object prefix, head) for a Dutch compound like `werkloosheidsdaling`."""
        if token in self._compounds:
            return self._compounds[token]
        found: tuple[Entry | None, Entry] | None = None
        for cut in range(MIN_COMPOUND_PREFIX, len(token) - MIN_COMPOUND_HEAD + 1):
            head = self.heads.get(token[cut:])
            if head is None:
                continue
            prefix = token[:cut]
            first = self.words.get(prefix) or (
                self.words.get(prefix[:-1]) if prefix.endswith(("s", "en", "e")) else None
            )
            found = (first if first is not None and first.role == OBJ else None, head)
            break
        if len(self._compounds) < 50_000:
            self._compounds[token] = found
        return found


@cache
def _analyser(language: str) -> _Analyser:
    en, nl = _packaged("en"), _packaged("nl")
    return _Analyser(nl, en, nl) if language == "nl" else _Analyser(en, nl, nl)


def _clauses(
    text: str, analyser: _Analyser
) -> tuple[list[tuple[list[_Hit], list[int]]], list[float], bool]:
    """Lexicon hits and negator positions per clause, the clause weights, and is-question."""
    clauses: list[tuple[list[_Hit], list[int]]] = [([], [])]
    weights = [1.0]
    question = False
    tokens = [(m.lastgroup or "", m.group().lower()) for m in _TOKEN.finditer(text)]
    words = analyser.words
    phrases = analyser.phrases
    i = 0
    n = len(tokens)
    while i < n:
        kind, token = tokens[i]
        hits, negs = clauses[-1]
        if kind == "punct":
            if token == "?":
                question = True
            elif token in ",;" and (hits or negs):
                clauses.append(([], []))
                weights.append(1.0)
            i += 1
            continue
        if kind == "pct":
            sign = -1.0 if token[0] in "-−" else 1.0
            hits.append(_Hit(i, UP if sign > 0 else DOWN, 1.5))
            i += 1
            continue
        contrast = _CONTRAST.get(token)
        if contrast is not None:
            weights[-1] *= contrast[0]
            clauses.append(([], []))
            weights.append(contrast[1])
            i += 1
            continue
        matched = False
        for key, entry in phrases.get(token, ()):
            span = len(key)
            if tuple(t for _, t in tokens[i : i + span]) == key:
                _add(hits, negs, i, entry)
                i += span
                matched = True
                break
        if matched:
            continue
        word = words.get(token)
        if word is not None:
            _add(hits, negs, i, word)
        elif len(token) >= MIN_COMPOUND_PREFIX + MIN_COMPOUND_HEAD and not token.isdigit():
            parts = analyser.compound(token)
            if parts is not None:
                if parts[0] is not None:
                    hits.append(_Hit(i, OBJ, parts[0].weight))
                _add(hits, negs, i, parts[1])
        i += 1
    return clauses, weights, question


def _add(hits: list[_Hit], negs: list[int], pos: int, entry: Entry) -> None:
    if entry.role == NEG:
        negs.append(pos)
    else:
        hits.append(_Hit(pos, entry.role, entry.weight, entry.fallback))


def _negation_signs(hits: list[_Hit], negs: list[int]) -> list[float]:
    """-1 for each term a negator flips: the next one ahead, else (Dutch) the one before."""
    signs = [1.0] * len(hits)
    for p in negs:
        target = next(
            (k for k, h in enumerate(hits) if p < h.pos <= p + NEGATION_AHEAD and h.role != INT),
            None,
        )
        if target is None:
            behind = [
                k for k, h in enumerate(hits) if p - NEGATION_BEHIND <= h.pos < p and h.role != INT
            ]
            target = behind[-1] if behind else None
        if target is not None:
            signs[target] = -signs[target]
    return signs


def _apply_quantities(hits: list[_Hit], signs: list[float]) -> float:
    """Score "meer banen", "minder diepe recessie" (more or less of the next term).

    The term a quantity takes is replaced by a neutral placeholder so it counts once; a
    quantity with nothing to take becomes a plain movement. Returns the polarity found.
    """
    polar = 0.0
    for k, h in enumerate(hits):
        if h.role != QTY:
            continue
        target = next(
            (
                j
                for j in range(k + 1, len(hits))
                if hits[j].pos <= h.pos + QUANTITY_AHEAD and hits[j].role in (POL, OBJ)
            ),
            None,
        )
        if target is None:
            hits[k] = _Hit(h.pos, UP if h.weight > 0 else DOWN, abs(h.weight))
            continue
        t = hits[target]
        sign = (1.0 if h.weight > 0 else -1.0) * (1.0 if t.weight * signs[target] >= 0 else -1.0)
        polar += sign * max(abs(t.weight), abs(h.weight)) * signs[k]
        hits[target] = _Hit(t.pos, INT, 1.0)
    return polar


def _intensify(hits: list[_Hit], signs: list[float]) -> tuple[list[float], float]:
    """Factors per term from intensifiers (next term, else the one just before), and the
    polarity of intensifiers with nothing to scale ("record", "sterk" on their own)."""
    factors = [1.0] * len(hits)
    polar = 0.0
    scalable = (POL, UP, DOWN, OBJ)
    for k, h in enumerate(hits):
        if h.role != INT:
            continue
        ahead = [
            j
            for j in range(k + 1, len(hits))
            if hits[j].pos <= h.pos + INTENSIFIER_AHEAD and hits[j].role in scalable
        ]
        behind = [
            j
            for j in range(k)
            if hits[j].pos >= h.pos - INTENSIFIER_BEHIND and hits[j].role in scalable
        ]
        if ahead:
            factors[ahead[0]] *= h.weight
        elif behind:
            factors[behind[-1]] *= h.weight
        else:
            polar += h.fallback * signs[k]
    return factors, polar


def _clause_score(clause_hits: list[_Hit], negs: list[int]) -> float:
    hits = list(clause_hits)  # quantities rewrite entries; keep the caller's list intact
    signs = _negation_signs(hits, negs)
    polar = _apply_quantities(hits, signs)
    factors, unattached = _intensify(hits, signs)
    polar += unattached
    objects = [k for k, h in enumerate(hits) if h.role == OBJ]
    used: set[int] = set()
    for k, h in enumerate(hits):
        value = h.weight * signs[k] * factors[k]
        if h.role == POL:
            polar += value
        elif h.role in (UP, DOWN):
            value = value if h.role == UP else -value
            if objects:
                # A movement is read against what moves: falling losses are good news, a
                # falling price is not. Headlines put the subject first, so the nearest
                # object before the movement wins, else the nearest after it.
                before = [j for j in objects if hits[j].pos <= h.pos]
                nearest = before[-1] if before else objects[0]
                used.add(nearest)
                if hits[nearest].weight * signs[nearest] < 0:
                    value = -value
            polar += value
    for k in objects:
        if k not in used:
            polar += hits[k].weight * signs[k] * factors[k]
    return polar


def raw_score(text: str, language: str = "en") -> tuple[float, int]:
    """The unbounded lexicon score of a text and how many lexicon terms it contained."""
    analyser = _analyser("nl" if language == "nl" else "en")
    clauses, weights, question = _clauses(text, analyser)
    total = 0.0
    terms = 0
    for (hits, negs), weight in zip(clauses, weights, strict=True):
        if hits:
            total += weight * _clause_score(hits, negs)
            terms += len(hits)
    if question:
        total *= QUESTION_FACTOR
    return total, terms


def to_sentiment(raw: float, terms: int) -> Sentiment:
    label: Label = "neutral"
    if raw > THRESHOLD:
        label = "bullish"
    elif raw < -THRESHOLD:
        label = "bearish"
    # Confidence grows with the distance from the decision boundary; no terms, little known.
    confidence = 0.4 if terms == 0 else 0.5 + 0.45 * math.tanh(abs(abs(raw) - THRESHOLD))
    return Sentiment(label, math.tanh(raw / 2.0), confidence, BACKEND_NAME, LEXICON_VERSION)


class LexiconBackend:
    """Fast, dependency-free, bilingual; the fallback when no model can be loaded."""

    name = BACKEND_NAME
    model = LEXICON_VERSION

    def __init__(self) -> None:
        _analyser("en")
        _analyser("nl")

    def score(self, text: str, language: str = "en") -> Sentiment:
        return to_sentiment(*raw_score(text, language))

    def score_batch(self, texts: list[str], languages: list[str]) -> list[Sentiment]:
        if len(texts) != len(languages):
            raise ValueError("texts and languages differ in length")
        return [self.score(t, lang) for t, lang in zip(texts, languages, strict=True)]
