from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.news.parse import FeedUnreadable, parse_bytes, parse_feed
from tests.news.conftest import saved


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("coindesk_en_20251212.rss", 25),
        ("cointelegraph_en_20251212.rss", 30),
        ("decrypt_en_20251212.rss", 58),
        ("theblock_en_20251212.rss", 19),
        ("crypto-insiders_nl_sample.rss", 5),
        ("tweakers_nl_20200107.xml", 40),
        ("feedburner-blogger_en_20160603.atom", 25),
        ("podcast-leading-newline_de_20201015.rss", 32),
    ],
)
def test_saved_feeds_yield_every_entry(name: str, count: int) -> None:
    parsed = parse_bytes(saved(name))
    assert len(parsed.entries) == count
    assert all(e.link.startswith("http") and e.title for e in parsed.entries)
    assert all(e.published is not None and e.published.tzinfo is UTC for e in parsed.entries)


def test_dates_are_converted_to_utc() -> None:
    # The Block writes -0500 offsets: 17:33:11 -0500 is 22:33:11 UTC.
    parsed = parse_bytes(saved("theblock_en_20251212.rss"))
    assert parsed.entries[0].published == datetime(2025, 12, 12, 22, 33, 11, tzinfo=UTC)


def test_atom_entries_have_links_and_content() -> None:
    parsed = parse_bytes(saved("feedburner-blogger_en_20160603.atom"))
    assert all(e.summary for e in parsed.entries)
    assert len({e.guid for e in parsed.entries}) == len(parsed.entries)


def test_latin1_declared_feed_keeps_its_accents() -> None:
    parsed = parse_bytes(saved("jn-pt_pt_20180103.rss"))
    text = " ".join(e.title for e in parsed.entries)
    assert any(ch in text for ch in "ãçéõá")
    assert "\ufffd" not in text


def test_undeclared_cp1252_without_dates_is_readable() -> None:
    parsed = parse_bytes(saved("uol-noticias_pt_nodate.rss"))
    assert len(parsed.entries) == 15
    assert all(e.published is None for e in parsed.entries)
    assert parsed.warning is not None  # bozo but readable
    assert "\ufffd" not in " ".join(e.title for e in parsed.entries)


def test_response_headers_resolve_relative_links() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>Relative</title><link>/news/a-story</link><guid>1</guid></item>"
        b"</channel></rss>"
    )
    parsed = parse_bytes(
        body, {"content-location": "https://example.org/feed/", "content-type": "text/xml"}
    )
    assert parsed.entries[0].link == "https://example.org/news/a-story"


def test_charset_from_content_type_header() -> None:
    body = (
        "<rss version='2.0'><channel><title>t</title><item><title>Caf\u00e9 op de beurs</title>"
        "<link>https://example.org/a</link></item></channel></rss>"
    ).encode("latin-1")
    parsed = parse_bytes(body, {"content-type": "application/rss+xml; charset=iso-8859-1"})
    assert parsed.entries[0].title == "Caf\u00e9 op de beurs"


@pytest.mark.parametrize(
    "body",
    [
        saved("marketwatch-moved_en_nodate.rss"),
        b"<!doctype html><html><body><p>Hello</p></body></html>",
        b'{"items": []}',
        b"",
    ],
)
def test_not_a_feed_is_unreadable_with_a_reason(body: bytes) -> None:
    with pytest.raises(FeedUnreadable) as err:
        parse_bytes(body)
    assert err.value.reason.startswith("not a feed")


def test_bytes_that_look_like_a_path_are_not_opened(tmp_path: Path) -> None:
    feed = tmp_path / "local.rss"
    feed.write_bytes(saved("theblock_en_20251212.rss"))
    with pytest.raises(FeedUnreadable):  # feedparser would read the file given bytes
        parse_bytes(str(feed).encode())


async def test_parse_feed_runs_off_the_loop() -> None:
    parsed = await parse_feed(saved("decrypt_en_20251212.rss"))
    assert parsed.title == "Decrypt"
