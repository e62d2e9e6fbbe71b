from __future__ import annotations

import pytest

from bot.news.clean import canonical_link, clean_text, clean_title, cut_summary, summarize
from bot.news.parse import parse_bytes
from tests.news.conftest import saved


def test_wordpress_footer_is_removed_in_both_languages() -> None:
    for entry in parse_bytes(saved("cryptobriefing_en_20190131.rss")).entries:
        assert "appeared first on" not in clean_text(entry.summary)
    for entry in parse_bytes(saved("crypto-insiders_nl_sample.rss")).entries:
        text = clean_text(entry.summary)
        assert "verscheen eerst op" not in text
        assert text


def test_html_is_stripped_and_entities_decoded() -> None:
    raw = (
        '<p>Ether &amp; <a href="x">bitcoin</a> rally&#8217;s <img src="y"/>end</p>'
        "<script>x()</script>"
    )
    assert clean_text(raw) == "Ether & bitcoin rally’s end"


def test_double_escaped_entities_are_decoded() -> None:
    assert clean_title("What&amp;#039;s next") == "What's next"
    assert clean_title("Bitcoin &amp;amp; Ether") == "Bitcoin & Ether"


def test_html_inside_titles_is_cleaned() -> None:
    titles = [clean_title(e.title) for e in parse_bytes(saved("ethnews_en_20190131.rss")).entries]
    assert titles
    assert not any("<" in t or ">" in t for t in titles)


def test_html_heavy_descriptions_become_plain_text() -> None:
    for entry in parse_bytes(saved("tweakers_nl_20200107.xml")).entries:
        text = summarize(entry.summary)
        assert "<" not in text and "  " not in text
        assert len(text) <= 301


def test_summary_cut_at_a_sentence_boundary() -> None:
    text = ("Bitcoin fell below $90,000 on Friday. " * 12).strip()
    cut = cut_summary(text, 300)
    assert len(cut) <= 300
    assert cut.endswith(".")
    assert cut_summary("Short text.", 300) == "Short text."


def test_one_long_sentence_is_cut_at_a_word() -> None:
    text = "word " * 100
    cut = cut_summary(text.strip(), 300)
    assert len(cut) <= 301 and cut.endswith("…")
    assert not cut[:-1].endswith(" ")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.crypto-insiders.nl/nieuws/x/?utm_source=rss&utm_medium=rss&utm_campaign=x",
            "https://www.crypto-insiders.nl/nieuws/x/",
        ),
        ("HTTPS://Example.COM:443/a?id=5&fbclid=abc#top", "https://example.com/a?id=5"),
        ("https://example.com/a?gclid=1&ref=tw&page=2", "https://example.com/a?page=2"),
        ("http://example.com", "http://example.com/"),
    ],
)
def test_canonical_link(url: str, expected: str) -> None:
    assert canonical_link(url) == expected


def test_cointelegraph_links_lose_their_tracking() -> None:
    for entry in parse_bytes(saved("cointelegraph_en_20251212.rss")).entries:
        assert "utm_" not in canonical_link(entry.link)
