"""Figures in titles: one spelling per amount, and when two titles' figures disagree.

"$50M", "$50 million" and "50 miljoen" become one token ("50000000"), as do "1.5" / "1,5"
and "5%" / "5 procent". Templated headlines often differ only in a figure ("$50M hack" /
"$5M hack"), so such titles are different stories however many words they share.
"""

from __future__ import annotations

import functools
import math
import re

_SCALES = {
    **dict.fromkeys(("k", "thousand", "thousands", "duizend"), 1e3),
    **dict.fromkeys(("m", "mln", "mio", "million", "millions", "miljoen"), 1e6),
    **dict.fromkeys(("b", "bn", "mrd", "mld", "billion", "billions", "miljard"), 1e9),
    **dict.fromkeys(("t", "trillion", "trillions", "biljoen"), 1e12),
}
_PERCENT = ("%", "percent", "procent")
# A number with an optional scale or percent: a single letter only when attached ("$90k",
# not "5 m"), and never glued to more letters ("5th" and "1inch" are words).
PATTERN = (
    r"\$?\d+(?:[.,]\d+)*"
    r"(?:[kmbt]|\s?(?:bn|mln|mio|mrd|mld|thousands?|duizend|millions?|miljoen|billions?"
    r"|miljard|trillions?|biljoen|percent|procent)|\s?%)?(?![^\W_])"
)
_PARTS = re.compile(r"\$?(\d+(?:[.,]\d+)*)\s?(.*)")
_GROUPED = re.compile(r"\d{1,3}(?:[.,]\d{3})+")
# Figures this close are one figure rounded or converted differently: "$282K" and
# "$285,000" for the same block reward. Levels further apart ("$100K" / "$98K") differ.
RELATIVE = 0.015


def normalise(raw: str) -> str:
    """One token per amount: '$90K', '$90,000', '$90.000' all become '90000'.

    `raw` is lower-case text matched by PATTERN. Percentages keep a '%' ('1,5 procent' ->
    '1.5%'); unparseable runs of digits ('12.12.2025') are kept as written.
    """
    match = _PARTS.fullmatch(raw)
    if match is None:
        return raw
    digits, unit = match.groups()
    if _GROUPED.fullmatch(digits):  # thousands separators, English or Dutch
        digits = digits.replace(",", "").replace(".", "")
    try:
        value = float(digits.replace(",", "."))
    except ValueError:
        return digits
    value *= _SCALES.get(unit, 1.0)
    return f"{value:.15g}" + ("%" if unit in _PERCENT else "")


Figure = tuple[str, float | None, bool]  # token, value (None: not a number), percent


@functools.lru_cache(maxsize=1 << 14)  # a pass compares each title many times
def _figures(tokens: frozenset[str]) -> tuple[Figure, ...]:
    """The figure tokens among a title's tokens ('5th' and '1inch' are words), parsed."""
    out = []
    for token in tokens:
        if token[0].isdigit() and (token[-1].isdigit() or token[-1] == "%"):
            percent = token[-1] == "%"
            try:
                value: float | None = float(token.rstrip("%"))
            except ValueError:
                value = None  # a date or a version: equal spelling only
            out.append((token, value, percent))
    return tuple(out)


def _same(a: Figure, b: Figure) -> bool:
    (ta, x, percent), (tb, y, percent_b) = a, b
    if ta == tb:
        return True
    if x is None or y is None or percent != percent_b:
        return False
    if percent and (math.floor(x + 0.5) == y or math.floor(y + 0.5) == x):
        return True  # one outlet rounds to whole percents: "5%" / "5.2%"
    return abs(x - y) <= RELATIVE * max(abs(x), abs(y))


def disagree(a: frozenset[str], b: frozenset[str]) -> bool:
    """True when each title states a figure the other lacks: "$50M hack" / "$5M hack".

    A title without figures, or whose figures all appear in the other ("15 years" / "15
    years for $40B fraud"), is the same story told with fewer details: no disagreement.
    """
    fa, fb = _figures(a), _figures(b)
    if not fa or not fb:
        return False
    if len(fa) == 1 == len(fb):  # the usual case, kept cheap: clustering asks a lot
        return not _same(fa[0], fb[0])
    same = [[_same(x, y) for y in fb] for x in fa]
    return not all(map(any, same)) and not all(map(any, zip(*same, strict=True)))
