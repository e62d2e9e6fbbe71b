"""Map a classifier's own labels (its `id2label`) to bearish/neutral/bullish and a score.

Models use several schemes: negative/neutral/positive, generic `LABEL_0..n` (read by index
convention), 1-5 stars, and binary negative/positive. Each output index gets a group (the
project label it counts towards) and a value in [-1, 1]; the score is the probability-weighted
value and the label the group with the most probability. Binary models have no neutral class,
so a weak lean is reported as neutral. Star models take the label from the expected star (the
score) with a neutral band: summing mass per group would pit neutral's single star against two
stars on each side, so a flat or centred distribution came out bearish.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.sentiment.types import LABELS, Label

# A binary model's |p(pos) - p(neg)| below this margin is too weak a lean to call.
BINARY_NEUTRAL_MARGIN = 0.3
# A star model's score within this band is neutral: 1-5 stars map to -1..1 in steps of 0.5,
# so the band holds an expected star that rounds to the middle one (2.5-3.5); ties neutral.
STAR_NEUTRAL_BAND = 0.25

_NEGATIVE = {"negative", "neg", "bearish", "negatief", "sell"}
_NEUTRAL = {"neutral", "neu", "neutraal", "none", "mixed", "hold"}
_POSITIVE = {"positive", "pos", "bullish", "positief", "buy"}
_STARS = re.compile(r"^(\d+)\s*stars?$")
_GENERIC = re.compile(r"^label_(\d+)$")
# Generic LABEL_i names follow the common index conventions for these class counts.
_GENERIC_ORDER: dict[int, tuple[str, ...]] = {
    2: ("negative", "positive"),
    3: ("negative", "neutral", "positive"),
    5: ("1 star", "2 stars", "3 stars", "4 stars", "5 stars"),
}


class UnknownLabelScheme(ValueError):
    """The model's labels do not match a known sentiment scheme."""


@dataclass(frozen=True)
class LabelScheme:
    groups: tuple[Label, ...]  # per output index
    values: tuple[float, ...]  # per output index, in [-1, 1]
    binary: bool
    stars: bool = False

    def apply(self, probs: Sequence[float]) -> tuple[Label, float, float]:
        """(label, score, confidence) for one probability vector over the model's outputs."""
        if len(probs) != len(self.values):
            raise ValueError(f"expected {len(self.values)} probabilities, got {len(probs)}")
        score = max(-1.0, min(1.0, sum(p * v for p, v in zip(probs, self.values, strict=True))))
        mass = dict.fromkeys(LABELS, 0.0)
        for p, group in zip(probs, self.groups, strict=True):
            mass[group] += p
        if self.binary:
            confidence = max(mass["bearish"], mass["bullish"])
            if abs(score) < BINARY_NEUTRAL_MARGIN:
                return "neutral", score, min(1.0, 1.0 - abs(score))
            return ("bullish" if score > 0 else "bearish"), score, min(1.0, confidence)
        if self.stars:
            label: Label = "neutral"
            if score > STAR_NEUTRAL_BAND:
                label = "bullish"
            elif score < -STAR_NEUTRAL_BAND:
                label = "bearish"
            return label, score, min(1.0, max(0.0, mass[label]))
        # Ties go to neutral (listed first), then bearish.
        label = max(("neutral", "bearish", "bullish"), key=lambda name: mass[name])
        return label, score, min(1.0, max(0.0, mass[label]))


def _classify(name: str) -> tuple[Label, float] | None:
    words = name.lower().replace("_", " ").replace("-", " ").split()
    very = bool(words) and words[0] in {"very", "strongly", "zeer"}
    core = " ".join(words[1:] if very else words)
    if core in _NEGATIVE:
        return "bearish", -1.0 if very else -0.5
    if core in _POSITIVE:
        return "bullish", 1.0 if very else 0.5
    if core in _NEUTRAL:
        return "neutral", 0.0
    return None


def _stars(names: list[str]) -> LabelScheme | None:
    counts = []
    for name in names:
        match = _STARS.match(name.strip().lower())
        if not match:
            return None
        counts.append(int(match[1]))
    low, high = min(counts), max(counts)
    if high - low < 2:
        return None
    mid = (low + high) / 2
    values = tuple((c - mid) / (high - mid) for c in counts)
    groups: tuple[Label, ...] = tuple(
        "neutral" if v == 0 else ("bullish" if v > 0 else "bearish") for v in values
    )
    return LabelScheme(groups, values, binary=False, stars=True)


def scheme_for(id2label: Mapping[int, str] | Mapping[str, str]) -> LabelScheme:
    """Work out the label scheme from a model config's `id2label`."""
    if not id2label:
        raise UnknownLabelScheme("the model has no labels")
    names = [str(id2label[key]) for key in sorted(id2label, key=lambda k: int(k))]  # type: ignore[index]
    if all(_GENERIC.match(n.lower()) for n in names):
        order = _GENERIC_ORDER.get(len(names))
        if order is None:
            raise UnknownLabelScheme(f"cannot read {len(names)} generic labels as sentiment")
        names = list(order)
    stars = _stars(names)
    if stars is not None:
        return stars
    classified = [_classify(n) for n in names]
    if any(c is None for c in classified):
        unknown = [n for n, c in zip(names, classified, strict=True) if c is None]
        raise UnknownLabelScheme(f"unrecognised sentiment labels: {unknown}")
    pairs = [c for c in classified if c is not None]
    groups = tuple(g for g, _ in pairs)
    if "bearish" not in groups or "bullish" not in groups:
        raise UnknownLabelScheme(f"labels {names} lack a negative or a positive class")
    # Without "very" variants a plain negative/positive is the extreme of the scale.
    has_very = any(abs(v) == 1.0 for _, v in pairs)
    values = tuple(v if has_very or v == 0 else (1.0 if v > 0 else -1.0) for _, v in pairs)
    return LabelScheme(groups, values, binary="neutral" not in groups)


def normalise(
    id2label: Mapping[int, str] | Mapping[str, str], probs: Sequence[float]
) -> tuple[Label, float, float]:
    """(label, score, confidence) for one output of a model with these labels."""
    return scheme_for(id2label).apply(probs)
