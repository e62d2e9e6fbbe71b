"""Figures in titles: one spelling per amount.

"$50M", "$50 million" and "50 miljoen" become one token ("50000000"), as do "1.5" / "1,5"
and "5%" / "5 procent".
"""

from __future__ import annotations

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
