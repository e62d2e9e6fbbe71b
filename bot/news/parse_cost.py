"""The parse guard's cost model: what a span of a feed document will cost feedparser, in µs.

Upper bounds measured per shape of markup, text and references on feedparser 6.0 (see
parse_guard.py); re-measure them when feedparser changes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

# Refusal reasons (stable codes the Discord layer and `status` show).
TOO_LARGE = "too_large"
TOO_DEEP = "too_deep"
TOO_MANY_ELEMENTS = "too_many_elements"
TOO_MANY_ATTRIBUTES = "too_many_attributes"
TOO_MANY_ENTITIES = "too_many_entities"
TOO_COMPLEX = "too_complex"
REASONS = frozenset(
    {TOO_LARGE, TOO_DEEP, TOO_MANY_ELEMENTS, TOO_MANY_ATTRIBUTES, TOO_MANY_ENTITIES, TOO_COMPLEX}
)

# Cost model, in µs of feedparser CPU: upper bounds measured per shape on feedparser 6.0 with
# its strict (expat) parser. Its loose parser, used for documents that are not well-formed, runs
# sgmllib over the markup once more: markup costs LOOSE_FACTOR times as much there, text twice.
# Memory follows text: at most 16 bytes per byte of document (24 with the loose parser), so the
# budget on text also keeps a document under 100 MB.
W_BYTE = 0.25  # text, decoded, copied and sanitised: 0.03-0.19 µs per byte (0.35 loose)
W_TAG = 50.0  # each `<`, `/>` or escaped `&lt;`: 20-95 µs as an element or HTML in content
W_ATTRIBUTE = 30.0  # each `=`: attribute parsing, URI resolution, sanitising
W_SPECIAL = 80.0  # xml:base (a urljoin per element), xmlns, xml:lang
W_REFERENCE = 10.0  # each `&`: 2-7 µs per character or entity reference
W_DECLARED = 60.0  # a reference to a declared entity may expand to markup
W_ENTRY = 100.0  # per entry: dict set-up, date parsing
W_STYLE = 0.05  # per character² in a CSS run: feedparser's style regexes are quadratic
W_COMMENT = 0.004  # per `--` × byte after an unclosed HTML comment (quadratic fallback)
LOOSE_FACTOR = 2.5
LOOSE_TEXT_FACTOR = 2.0

_NUMERIC_LT = re.compile(rb"&#(?:0*60|x0*3c);")
_STYLE = re.compile(rb"style\s*=\s*")
_STYLE_QUOTE = re.compile(rb"\"|'|&(?:quot|apos|#0*3[49]|#x0*2[27]);")
_UNQUOTED = re.compile(rb"[^\s>]*")
_CSS_RUN = re.compile(rb"[^\s:;]{16,}")
_COMMENT_OPEN = re.compile(rb"<!--|&lt;!--")
_COMMENT_CLOSE = re.compile(rb"--(?:>|&gt;)")


@dataclass
class Counts:
    """What drives feedparser's cost in part of a document."""

    size: int = 0
    tags: int = 0
    attributes: int = 0
    special: int = 0
    references: int = 0
    declared: int = 0
    entries: int = 0
    hazards: float = 0.0  # µs already: the quadratic corners cost the same in both parsers

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def parts(self, loose: bool) -> dict[str, float]:
        """Estimated µs by the refusal reason each part stands for."""
        markup = LOOSE_FACTOR if loose else 1.0
        text = LOOSE_TEXT_FACTOR if loose else 1.0
        return {
            TOO_LARGE: text * W_BYTE * self.size,
            TOO_MANY_ELEMENTS: markup
            * (W_TAG * self.tags + W_SPECIAL * self.special + W_ENTRY * self.entries),
            TOO_MANY_ATTRIBUTES: markup * W_ATTRIBUTE * self.attributes,
            TOO_MANY_ENTITIES: markup
            * (W_REFERENCE * self.references + W_DECLARED * self.declared),
            TOO_COMPLEX: self.hazards,
        }

    def cost(self, loose: bool) -> float:
        return sum(self.parts(loose).values())

    def reason(self, loose: bool) -> str:
        parts = self.parts(loose)
        return max(parts, key=lambda k: parts[k])

    def describe(self, loose: bool) -> str:
        parts = self.parts(loose)
        shares = ", ".join(f"{k} {v / 1e6:.2f}" for k, v in parts.items() if v >= 10_000)
        parser = "loose" if loose else "strict"
        return f"{sum(parts.values()) / 1e6:.2f} s estimated with the {parser} parser ({shares})"


def span_counts(
    low: bytes, a: int, b: int, entities: Mapping[bytes, int], allowance: float
) -> Counts:
    """Count low[a:b]; the Python-level scans stop once the strict estimate passes `allowance`."""
    counts = Counts(size=b - a)
    counts.tags = low.count(b"<", a, b) + low.count(b"/>", a, b) + low.count(b"&lt;", a, b)
    counts.attributes = low.count(b"=", a, b)
    counts.special = low.count(b"xml:base", a, b) + low.count(b"xmlns", a, b)
    counts.special += low.count(b"xml:lang", a, b)
    counts.references = low.count(b"&", a, b)
    for name in entities:
        counts.declared += low.count(b"&" + name + b";", a, b)
    if low.find(b"&#", a, b) >= 0:  # &#60; and the like
        most = int(allowance / W_TAG) + 1
        counts.tags += sum(1 for _ in itertools.islice(_NUMERIC_LT.finditer(low, a, b), most))
    spent = counts.cost(loose=False)
    if spent <= allowance:
        counts.hazards = _hazards(low, a, b, allowance - spent)
    return counts


def _hazards(low: bytes, a: int, b: int, allowance: float) -> float:
    """The quadratic corners of feedparser's sanitiser: long CSS runs, unclosed comments."""
    total = 0.0
    pos = a
    while total <= allowance:
        m = _STYLE.search(low, pos, b)
        if m is None:
            break
        start = m.end()
        quote = _STYLE_QUOTE.match(low, start, b)
        if quote is not None:
            start = quote.end()
            end = low.find(quote.group(), start, b)
            end = b if end < 0 else end
        else:
            end = _UNQUOTED.match(low, start, b).end()  # type: ignore[union-attr]
        size = end - start
        runs = sum((r.end() - r.start()) ** 2 for r in _CSS_RUN.finditer(low, start, end))
        total += W_STYLE * (16 * size + runs + low.count(b"url", start, end) * size)
        pos = max(end, m.end())
    pos = a
    while total <= allowance:
        m = _COMMENT_OPEN.search(low, pos, b)
        if m is None:
            break
        close = _COMMENT_CLOSE.search(low, m.end(), b)
        if close is not None:
            pos = close.end()
            continue
        total += W_COMMENT * low.count(b"--", m.end(), b) * (b - m.end())
        break  # later comments in the span are inside this one's estimate
    return total
