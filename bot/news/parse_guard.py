"""A guard in front of feedparser: refuse or cut a document before it costs too much to parse.

feedparser is pure Python. Its cost grows with the markup it meets (20-150 µs per tag, more
for tags with attributes or `xml:base`), and a few of its corners are quadratic: a long CSS
`style` value, an unclosed HTML comment, a whitespace-padded prolog, and one element with
thousands of attributes. Measured on hostile documents before this guard: 4.8 MB of nested tags
39 s of CPU and 300 MB, a 10,000-entry feed 6 s, a 350 kB document with one entity referenced
100,000 times more than 6 GB.

`prepare` runs in linear time over the bytes, mostly in C (`bytes.count`, `find`, `re`):

1. Decode the way feedparser will (its own `convert_to_utf8`), so that the scan reads the text
   feedparser reads whatever the charset, UTF-16 included.
2. Refuse a pathological prolog: too long, padded with thousands of lines (feedparser's
   DOCTYPE regexes are quadratic in them), more than a few entity declarations, parameter
   entities, or entities built from other entities (billion laughs).
3. Keep at most `max_entries` entries: the first ones, or the last ones when the document lists
   the oldest first. The document is cut between two entries and closed with its own tail.
4. Estimate feedparser's CPU for the head, the tail and each kept entry with a cost model
   (bytes, tags, attributes, references, quadratic hazards), at the loose parser's higher
   costs when expat finds the document not well-formed; keep entries, newest first, while the
   total fits `Limits.budget`. A document that does not fit even with one entry is refused.
5. On what is left, refuse nesting deeper than `max_depth`, an element with more than
   `max_attributes` attributes, and entity references that expand to more than
   `max_entity_expansion` bytes.

Refusals raise DocumentRefused with a stable reason code: too_large, too_deep,
too_many_elements, too_many_attributes, too_many_entities or too_complex. The model's weights
are upper bounds measured per shape on feedparser 6.0 (about 90 shapes of markup, text and
references, strict and loose); documents built to sit at the default budget (1.5 s estimated)
parsed in at most 1.4 s of CPU and 100 MB, guard included.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from xml.parsers import expat

from feedparser.encodings import convert_to_utf8
from feedparser.sanitizer import replace_doctype

from bot.news.parse_cost import (
    TOO_COMPLEX,
    TOO_DEEP,
    TOO_LARGE,
    TOO_MANY_ATTRIBUTES,
    TOO_MANY_ENTITIES,
    Counts,
    span_counts,
)

log = logging.getLogger(__name__)

MAX_ENTRIES = "max_entries"  # truncation only: more entries than the setting allows


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 8_000_000  # refused outright, before any other work
    max_prolog_bytes: int = 64_000  # before the first element: XML declaration, DOCTYPE
    max_prolog_lines: int = 1_000
    max_depth: int = 100
    max_attributes: int = 100  # on one element
    max_entity_declarations: int = 8
    max_entity_expansion: int = 1_000_000  # bytes the declared entities may add
    budget: float = 1.5  # seconds of estimated feedparser CPU


LIMITS = Limits()


class DocumentRefused(Exception):
    """The document is refused before parsing; `reason` is one of REASONS."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Prepared:
    """What feedparser should parse instead of the raw response."""

    body: bytes  # UTF-8 (unless feedparser found no encoding), maybe cut
    headers: dict[str, str]  # the response headers, with a content type matching `body`
    encoding: str  # what feedparser detected in the raw response ("" if nothing fitted)
    encoding_error: Exception | None  # feedparser's warning about the raw encoding
    entries_found: int
    entries_kept: int
    truncated: str | None  # MAX_ENTRIES or a reason code when entries were dropped


_FIRST_ELEMENT = re.compile(rb"<\w")  # where feedparser's DOCTYPE handling stops
_ENTITY_DECL = re.compile(
    rb"<!entity\s+(%\s*)?([^\s\"'>%]*)\s*(?:\"([^\"]*)\"|'([^']*)')?", re.IGNORECASE
)
_ENTITY_REF_IN_VALUE = re.compile(rb"&(?!#)")
_ENTRY = re.compile(rb"<(?:item|entry)[\s/>]")
_ENTRY_END = re.compile(rb"</(?:item|entry)\s*>")
_DATE = re.compile(rb"<(?:pubdate|published|updated|dc:date)(?:\s[^>]{0,200})?>\s*([^<]{4,80})<")
_TOKEN = re.compile(rb"<(?:(!\[cdata\[)|(!--)|[!?]|(/)?([a-z_:\x80-\xff][^\s/>]*))")
# The rest of a start tag up to its `>`, quoted values skipped, without backtracking.
_TAG_REST = re.compile(rb"(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+")
# HTML elements without an end tag; treating `link` so is harmless (`</link>` is then ignored).
_VOID = frozenset(b"area base br col embed hr img input link meta param source track wbr".split())


def prepare(
    body: bytes,
    headers: Mapping[str, str],
    *,
    max_entries: int,
    limits: Limits = LIMITS,
) -> Prepared:
    """The document feedparser should parse, or DocumentRefused saying why there is none."""
    if max_entries < 1:
        raise ValueError(f"max_entries must be at least 1, not {max_entries}")
    if len(body) > limits.max_bytes:
        raise DocumentRefused(TOO_LARGE, f"{len(body)} bytes (limit {limits.max_bytes})")
    data, feed_headers, encoding, encoding_error = _to_utf8(body, headers)
    low = data.lower()  # ASCII only: offsets stay the same
    entities = _check_prolog(low, limits)
    doc, found, kept, truncated = _select_entries(data, low, entities, max_entries, limits)
    doc_low = low if doc is data else doc.lower()
    _check_structure(doc_low, limits)
    _check_expansion(doc_low, entities, limits)
    if truncated is not None:
        log.debug("feed document cut to %d of %d entries (%s)", kept, found, truncated)
    return Prepared(doc, feed_headers, encoding, encoding_error, found, kept, truncated)


def _to_utf8(
    body: bytes, headers: Mapping[str, str]
) -> tuple[bytes, dict[str, str], str, Exception | None]:
    """Decode as feedparser does, and headers that make its own decoding a no-op."""
    result: dict[str, Any] = {}
    original = dict(headers)
    if not body:  # feedparser stops at once; decoding would invent an XML declaration
        return body, original, "", None
    data = convert_to_utf8(original, body, result)
    encoding = str(result.get("encoding") or "")
    if not encoding:  # feedparser will find nothing either: let it see the same bytes
        return body, original, "", result.get("bozo_exception")
    fixed = {k: v for k, v in original.items() if k != "content-type"}
    fixed["content-type"] = "application/xml; charset=utf-8"
    return data, fixed, encoding, result.get("bozo_exception")


def _check_prolog(low: bytes, limits: Limits) -> dict[bytes, int]:
    """Refuse a pathological prolog; return the declared entities' names and value sizes."""
    first = _FIRST_ELEMENT.search(low)
    end = first.start() if first else 0
    if end > limits.max_prolog_bytes:
        raise DocumentRefused(
            TOO_LARGE, f"{end} bytes before the first element (limit {limits.max_prolog_bytes})"
        )
    prolog = low[:end]
    lines = prolog.count(b"\n")
    if lines > limits.max_prolog_lines:
        raise DocumentRefused(
            TOO_COMPLEX, f"{lines} lines before the first element (limit {limits.max_prolog_lines})"
        )
    declared = prolog.count(b"<!entity")
    if declared > limits.max_entity_declarations:
        raise DocumentRefused(
            TOO_MANY_ENTITIES,
            f"{declared} entity declarations (limit {limits.max_entity_declarations})",
        )
    entities: dict[bytes, int] = {}
    for m in _ENTITY_DECL.finditer(prolog):
        percent, name, double, single = m.groups()
        if percent:
            raise DocumentRefused(TOO_MANY_ENTITIES, f"parameter entity {name!r}")
        value = double if double is not None else single
        if value is not None and _ENTITY_REF_IN_VALUE.search(value):
            raise DocumentRefused(TOO_MANY_ENTITIES, f"entity {name!r} refers to other entities")
        if name:
            entities[name] = len(value or b"")
    return entities


def _entry_date(data: bytes, low: bytes, a: int, b: int) -> datetime | None:
    m = _DATE.search(low, a, b)
    if m is None:
        return None
    text = data[m.start(1) : m.end(1)].decode("ascii", "ignore").strip()
    when: datetime | None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _inside_section(low: bytes, pos: int) -> bool:
    """Whether `pos` lies in a CDATA section or a comment (cutting there breaks the XML)."""
    for opener, closer in ((b"<![cdata[", b"]]>"), (b"<!--", b"-->")):
        start = low.rfind(opener, 0, pos)
        if start >= 0 and low.find(closer, start, pos) < 0:
            return True
    return False


def _well_formed(doc: bytes) -> bool:
    """Whether feedparser's strict parser will read `doc` (else it falls back to the loose one).

    expat in C, no handlers, on what feedparser's SAX parser gets: its DOCTYPE rewrite, namespaces
    on, no external entities.
    """
    _version, data, _entities = replace_doctype(doc)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return False
    return True


def _select_entries(
    data: bytes,
    low: bytes,
    entities: Mapping[bytes, int],
    max_entries: int,
    limits: Limits,
) -> tuple[bytes, int, int, str | None]:
    """Cut the document to the entries that fit; return (document, found, kept, why cut)."""
    budget = limits.budget * 1e6
    first = _FIRST_ELEMENT.search(low)
    starts = [m.start() for m in _ENTRY.finditer(low, first.start() if first else 0)]
    if not starts:
        whole = span_counts(low, 0, len(low), entities, budget)
        loose = whole.cost(loose=False) > budget or not _well_formed(data)
        if whole.cost(loose) > budget:
            raise DocumentRefused(whole.reason(loose), whole.describe(loose))
        return data, 0, 0, None
    found = len(starts)
    close = _ENTRY_END.search(low, starts[-1])
    end = close.end() if close is not None else len(low)
    bounds = [*starts, end]
    base = span_counts(low, 0, starts[0], entities, budget)
    base.add(span_counts(low, end, len(low), entities, budget))
    if base.cost(loose=False) > budget:
        raise DocumentRefused(base.reason(False), f"outside the entries: {base.describe(False)}")
    # Newest first: most feeds list the newest entry first; some list it last.
    newest_last = False
    if found > 1:
        head_date = _entry_date(data, low, starts[0], starts[1])
        tail_date = _entry_date(data, low, starts[-1], end)
        newest_last = head_date is not None and tail_date is not None and tail_date > head_date
    order = range(found - 1, -1, -1) if newest_last else range(found)
    # Count entries, newest first, while they fit the budget with the strict parser's costs.
    spans: list[Counts] = []
    spent = copy.copy(base)
    for i in order[:max_entries]:
        counts = span_counts(
            low, bounds[i], bounds[i + 1], entities, budget - spent.cost(loose=False)
        )
        counts.entries = 1
        spans.append(counts)
        spent.add(counts)
        if spent.cost(loose=False) > budget:
            break

    def fitting(loose: bool) -> tuple[int, Counts]:
        """How many of the counted entries fit, and the total with one more (or with all)."""
        total = copy.copy(base)
        for fit, counts in enumerate(spans):
            total.add(counts)
            if total.cost(loose) > budget:
                return fit, total
        return len(spans), total

    loose = False
    fit, over = fitting(loose)
    doc, kept = _cut(data, low, starts, end, fit, newest_last)
    if kept and not _well_formed(doc):
        loose = True
        fit, over = fitting(loose)
        doc, kept = _cut(data, low, starts, end, fit, newest_last)
    if fit == 0:
        raise DocumentRefused(over.reason(loose), f"with one entry: {over.describe(loose)}")
    if kept == 0:
        raise DocumentRefused(TOO_COMPLEX, "no place to cut the document between entries")
    why = None
    if fit < min(found, max_entries):
        why = over.reason(loose)
    elif kept < found:
        why = MAX_ENTRIES
    return doc, found, kept, why


def _cut(
    data: bytes, low: bytes, starts: list[int], end: int, kept: int, newest_last: bool
) -> tuple[bytes, int]:
    """The document with only `kept` entries, cut between entries; (document, entries kept).

    Never cuts inside a CDATA section or a comment: keeps fewer entries instead, or none.
    """
    found = len(starts)
    if kept >= found:
        return data, found
    for _ in range(16):
        if kept == 0:
            return b"", 0
        cut = starts[found - kept] if newest_last else starts[kept]
        if not _inside_section(low, cut):
            break
        kept -= 1
    else:
        return b"", 0
    if newest_last:
        if _inside_section(low, starts[0]):
            return b"", 0
        return data[: starts[0]] + data[starts[found - kept] :], kept
    tail = b"" if _inside_section(low, end) else data[end:]
    return data[: starts[kept]] + tail, kept


def _check_structure(low: bytes, limits: Limits) -> None:
    """Nesting depth and attributes per element, one pass over the tags.

    Tolerant of HTML-ish markup in loosely parsed feeds: an end tag closes everything opened
    since its start tag, end tags without one are ignored, void elements never open.
    """
    stack: list[bytes] = []
    open_names: dict[bytes, int] = {}
    size = len(low)
    pos = 0
    while True:
        m = _TOKEN.search(low, pos)
        if m is None:
            return
        cdata, comment, closing, name = m.groups()
        if cdata or comment:
            end = low.find(b"]]>" if cdata else b"-->", m.end())
            pos = size if end < 0 else end + 3
            continue
        if name is None:  # <!DOCTYPE ...>, <!ENTITY ...>, <?xml ...?>
            end = low.find(b">", m.end())
            pos = size if end < 0 else end + 1
            continue
        end = _TAG_REST.match(low, m.end()).end()  # type: ignore[union-attr]
        if end >= size or low[end] != 0x3E:  # an unterminated quote: use the first `>`
            end = low.find(b">", m.end())
            end = size if end < 0 else end
        pos = end + 1
        if closing:
            if open_names.get(name):
                while stack:
                    top = stack.pop()
                    open_names[top] -= 1
                    if top == name:
                        break
            continue
        attributes = low.count(b"=", m.end(), end)
        if attributes > limits.max_attributes:
            raise DocumentRefused(
                TOO_MANY_ATTRIBUTES,
                f"{attributes} attributes on <{name.decode('utf-8', 'replace')[:40]}>"
                f" (limit {limits.max_attributes})",
            )
        if low[end - 1 : end] == b"/" or name in _VOID:
            continue
        stack.append(name)
        open_names[name] = open_names.get(name, 0) + 1
        if len(stack) > limits.max_depth:
            raise DocumentRefused(TOO_DEEP, f"elements nested more than {limits.max_depth} deep")


def _check_expansion(low: bytes, entities: Mapping[bytes, int], limits: Limits) -> None:
    expansion = sum(low.count(b"&" + name + b";") * size for name, size in entities.items())
    if expansion > limits.max_entity_expansion:
        raise DocumentRefused(
            TOO_MANY_ENTITIES,
            f"entity references expand to {expansion} bytes (limit {limits.max_entity_expansion})",
        )
