"""The parse guard: hostile documents refused or cut before feedparser, real feeds unchanged."""

from __future__ import annotations

import io
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from bot.news.parse import FeedUnreadable, parse_bytes, parse_document
from bot.news.parse_guard import MAX_ENTRIES, DocumentRefused, Limits, prepare
from bot.news.samples import SAMPLE_DIR
from tests.news.conftest import FEEDS

SAVED = sorted(
    p
    for folder in (SAMPLE_DIR, FEEDS)
    for p in folder.iterdir()
    if p.suffix in (".rss", ".xml", ".atom")
)
HEADERS = [
    None,
    {"content-type": "application/rss+xml; charset=utf-8", "content-location": "https://e.org/f"},
    {"content-type": "text/html"},
    {"content-type": "text/xml; charset=iso-8859-1"},
]

HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>t</title>\n'
TAIL = b"</channel></rss>\n"
START = datetime(2025, 12, 1, tzinfo=UTC)


def item(i: int, extra: bytes = b"", *, dated: bool = True) -> bytes:
    when = (START + timedelta(minutes=i)).strftime("%a, %d %b %Y %H:%M:%S +0000").encode()
    date = b"<pubDate>%s</pubDate>" % when if dated else b""
    return b"<item><title>Story %d</title><link>https://e.org/%d</link>%s%s</item>\n" % (
        i,
        i,
        date,
        extra,
    )


def rss(*items: bytes, head: bytes = HEAD) -> bytes:
    return head + b"".join(items) + TAIL


def titles(body: bytes, **kwargs: int) -> list[str]:
    return [e.title for e in parse_bytes(body, **kwargs).entries]


def same(a: feedparser.FeedParserDict, b: feedparser.FeedParserDict) -> None:
    assert a.entries == b.entries
    assert a.feed == b.feed
    assert (a.bozo, a.get("version"), a.get("encoding")) == (b.bozo, b.get("version"), b.encoding)
    exc_a, exc_b = a.get("bozo_exception"), b.get("bozo_exception")
    assert (type(exc_a), str(exc_a)) == (type(exc_b), str(exc_b))
    assert a.namespaces == b.namespaces
    assert a.headers == b.headers


# --- real feeds: exactly what feedparser alone makes of them ------------------------------


@pytest.mark.parametrize("headers", HEADERS, ids=["none", "rss-utf8", "html", "latin1"])
@pytest.mark.parametrize("path", SAVED, ids=lambda p: p.name)
def test_saved_feeds_parse_as_with_feedparser_alone(
    path: Path, headers: dict[str, str] | None
) -> None:
    body = path.read_bytes()
    parsed, guard = parse_document(body, headers)
    alone = feedparser.parse(io.BytesIO(body.lstrip()), response_headers=dict(headers or {}))
    same(parsed, alone)
    assert guard.truncated is None and guard.entries_kept == guard.entries_found


@pytest.mark.parametrize("name", ["jn-pt_pt_20180103.rss", "feedburner-blogger_en_20160603.atom"])
def test_utf16_feed_is_scanned_decoded_and_parses_the_same(name: str) -> None:
    text = (FEEDS / name).read_bytes().decode("iso-8859-1" if "jn-pt" in name else "utf-8")
    text = re.sub(r"encoding=[\"'][^\"']+[\"']", 'encoding="utf-16"', text, count=1)
    body = text.encode("utf-16")
    parsed, guard = parse_document(body)
    same(parsed, feedparser.parse(io.BytesIO(body)))
    assert guard.body.startswith(b"<?xml") and guard.entries_found == len(parsed.entries) > 10


# --- hostile documents: refused with a reason -----------------------------------------------


def entity_doc(declarations: bytes, text: bytes) -> bytes:
    head = b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + declarations + b"]>\n"
    head += b'<rss version="2.0"><channel><title>t</title>\n'
    return rss(item(1, b"<description>" + text + b"</description>"), head=head)


LAUGHS = b'<!ENTITY lol "lol">\n' + b"".join(
    b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
    for i in range(1, 10)
)

HOSTILE = {
    "nesting": (
        rss(item(1, b"<description>" + b"<x>" * 500 + b"</x>" * 500 + b"</description>")),
        "too_deep",
    ),
    "unclosed nesting": (rss(item(1, b"<b>" * 500)), "too_deep"),
    "attributes": (
        rss(item(1, b"<x " + b" ".join(b'a%d="1"' % i for i in range(500)) + b"/>")),
        "too_many_attributes",
    ),
    "elements": (
        rss(item(1, b"<description>" + b"<b></b>" * 20_000 + b"</description>")),
        "too_many_elements",
    ),
    "escaped elements": (
        rss(item(1, b"<description>" + b"&lt;b&gt;x&lt;/b&gt;" * 20_000 + b"</description>")),
        "too_many_elements",
    ),
    "elements outside entries": (rss(b"<x/>" * 20_000, item(1)), "too_many_elements"),
    "billion laughs": (entity_doc(LAUGHS, b"&lol9;"), "too_many_entities"),
    "nested entities": (
        entity_doc(b'<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;&a;">\n', b"&b;"),
        "too_many_entities",
    ),
    "declarations": (
        entity_doc(b"".join(b'<!ENTITY e%d "x">\n' % i for i in range(9)), b"&e1;"),
        "too_many_entities",
    ),
    "parameter entity": (entity_doc(b'<!ENTITY % p "x">\n', b"x"), "too_many_entities"),
    "expansion": (
        entity_doc(b'<!ENTITY a "' + b"A" * 10_000 + b'">\n', b"&a;" * 200),
        "too_many_entities",
    ),
    "long prolog": (rss(item(1), head=b"<!--" + b"x" * 70_000 + b"-->" + HEAD[39:]), "too_large"),
    "padded prolog": (rss(item(1), head=HEAD[:39] + b"\n" * 3_000 + HEAD[39:]), "too_complex"),
    "style": (
        rss(
            item(
                1, b"<description>&lt;p style=&quot;" + b"a" * 6_000 + b"&quot;&gt;x</description>"
            )
        ),
        "too_complex",
    ),
    "unclosed comment": (
        rss(item(1, b"<description>&lt;!--" + b"--" * 15_000 + b"</description>")),
        "too_complex",
    ),
    "text": (
        rss(item(1, b"<description>" + b"word " * 1_300_000 + b"</description>")),
        "too_large",
    ),
}


@pytest.mark.parametrize(("body", "reason"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_document_is_refused_with_its_reason(body: bytes, reason: str) -> None:
    with pytest.raises(FeedUnreadable) as err:
        parse_bytes(body)
    assert err.value.reason == reason
    assert err.value.detail  # says what and how much


def test_refusals_happen_before_any_parsing() -> None:
    with pytest.raises(DocumentRefused) as err:
        prepare(rss(item(1)), {}, max_entries=10, limits=Limits(max_bytes=100))
    assert err.value.reason == "too_large"


def test_hostile_entry_is_cut_off_and_the_others_kept() -> None:
    bomb = b"<description>" + b"<b></b>" * 40_000 + b"</description>"
    body = rss(item(3), item(2), item(1, bomb), item(0))
    parsed = parse_bytes(body)
    assert [e.title for e in parsed.entries] == ["Story 3", "Story 2"]
    assert parsed.truncated == "too_many_elements"


def test_malformed_document_is_budgeted_for_the_loose_parser() -> None:
    # Each entry is cheap; the undefined &nbsp; sends feedparser to its slower loose parser.
    entry = b"<description>" + b"<a href='/r'>t</a>" * 500 + b"</description>"
    strict = rss(*(item(i, entry) for i in range(8, 0, -1)))
    loose = rss(*(item(i, entry + b"&nbsp;") for i in range(8, 0, -1)))
    limits = Limits(budget=0.5)
    kept_strict = prepare(strict, {}, max_entries=10, limits=limits).entries_kept
    kept_loose = prepare(loose, {}, max_entries=10, limits=limits).entries_kept
    assert 0 < kept_loose < kept_strict < 8


# --- entries per document ---------------------------------------------------------------


def test_long_feed_keeps_the_newest_entries_newest_first() -> None:
    body = rss(*(item(i) for i in range(999, -1, -1)))
    _parsed, guard = parse_document(body, max_entries=200)
    assert (guard.entries_found, guard.entries_kept, guard.truncated) == (1000, 200, MAX_ENTRIES)
    assert len(guard.body) < len(body) // 4  # cut before feedparser
    assert titles(body) == [f"Story {i}" for i in range(999, 799, -1)]
    assert parse_bytes(body, max_entries=10).truncated == MAX_ENTRIES


def test_feed_listing_the_oldest_first_keeps_its_last_entries() -> None:
    body = rss(*(item(i) for i in range(1000)))
    assert titles(body, max_entries=50) == [f"Story {i}" for i in range(950, 1000)]


def test_cut_document_stays_well_formed() -> None:
    body = rss(
        *(item(i, b"<description><![CDATA[<p>x</p>]]></description>") for i in range(30, 0, -1))
    )
    parsed, guard = parse_document(body, max_entries=10)
    assert not parsed.bozo and guard.body.endswith(TAIL) and len(parsed.entries) == 10


def test_entries_the_guard_cannot_count_are_capped_after_parsing() -> None:
    # RSS 1.0 with prefixed elements: feedparser reads <rss:item> as entries, the guard's cheap
    # scan does not, so the cap applies after parsing, by date.
    days = list(range(1, 31))
    random.Random(7).shuffle(days)
    items = b"".join(
        b'<rss:item rdf:about="https://e.org/%d"><rss:title>Day %d</rss:title>'
        b"<rss:link>https://e.org/%d</rss:link><dc:date>2025-12-%02dT10:00:00Z</dc:date>"
        b"</rss:item>" % (d, d, d, d)
        for d in days
    )
    body = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns:rss="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b'<rss:channel rdf:about="x"><rss:title>t</rss:title></rss:channel>' + items + b"</rdf:RDF>"
    )
    parsed = parse_bytes(body, max_entries=10)
    assert sorted(e.title for e in parsed.entries) == sorted(f"Day {d}" for d in range(21, 31))
    assert [e.title for e in parsed.entries] == [f"Day {d}" for d in days if d > 20]  # order kept
    assert parsed.truncated == MAX_ENTRIES


def test_undated_entries_are_capped_in_document_order() -> None:
    body = rss(*(item(i, dated=False) for i in range(50)))
    assert titles(body, max_entries=10) == [f"Story {i}" for i in range(10)]
