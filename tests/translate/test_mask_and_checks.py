"""Masking, the output checks, sentence splitting and headline casing: pure functions."""

from __future__ import annotations

import pytest

from bot.translate.checks import check_segment, digits
from bot.translate.mask import MAX_PLACEHOLDERS, mask, placeholder, unmask
from bot.translate.text import learn_names, sentence_case, split_sentences

TEXT = (
    "See https://example.com/a?b=1. $link up 5% 🚀🚀 at 0xdeadbeef1234 says @vitalik "
    "#crypto; Shiba Inu and BTC too, while Chainlink holders link up."
)


def test_mask_swaps_each_protected_span_and_restores_it() -> None:
    m = mask(TEXT)
    assert set(m.spans.values()) == {
        "https://example.com/a?b=1",
        "$link",
        "🚀🚀",
        "0xdeadbeef1234",
        "@vitalik",
        "#crypto",
        "Shiba Inu",
        "BTC",
        "Chainlink",
    }
    # prose stays: the URL's closing full stop, the number, lower-case "link"
    assert "5%" in m.text and "link up." in m.text and ". " in m.text
    assert all(key.isalpha() and key.isupper() for key in m.spans)
    back = unmask(m.text, m.spans)
    assert back.text == TEXT and back.problems == []


def test_every_occurrence_gets_its_own_placeholder() -> None:
    m = mask("BTC and BTC")
    assert m.text == "ZXQA and ZXQB"
    assert len({placeholder(i) for i in range(MAX_PLACEHOLDERS)}) == MAX_PLACEHOLDERS


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        ("ZXQA en", "ZXQB ('BTC') came back 0 times"),
        ("ZXQA ZXQA ZXQB", "ZXQA ('ETH') came back 2 times"),
        ("ZXQA ZXQB ZXQC", "unknown placeholder ZXQC"),
        ("ZXQA en zxq b", "mangled placeholder"),
        ("ZXQA en ZXQ B", "mangled placeholder"),
    ],
)
def test_unmask_reports_lost_repeated_unknown_and_mangled(output: str, problem: str) -> None:
    m = mask("ETH and BTC")
    problems = unmask(output, m.spans).problems
    assert any(problem in p for p in problems), problems


def test_numbers_may_change_separators_but_not_digits() -> None:
    assert digits("$70,000 and 1.5%") == digits("$70.000 en 1,5%")
    assert check_segment("Bitcoin rose 1.5% to $70,000", "Bitcoin steeg 1,5% naar $70.000") == []
    [problem] = check_segment("Bitcoin rose 1.5% to $70,000", "Bitcoin steeg 1,6% naar $70.000")
    assert "numbers changed" in problem and "15" in problem and "16" in problem


@pytest.mark.parametrize(
    ("source", "output", "problem"),
    [
        ("Markets are calm ahead of the meeting", "nee, nee, nee, nee, nee", "repetition"),
        ("Markets are calm ahead", "de markt de markt de markt de markt rust", "repetition"),
        ("Markets are calm ahead of the meeting", "Rust", "length ratio"),
        ("Markets are calm ahead of the meeting", "x" * 200, "length ratio"),
        ("Markets are calm", "   ", "empty output"),
    ],
)
def test_loops_bad_lengths_and_empty_output_fail(source: str, output: str, problem: str) -> None:
    assert any(problem in p for p in check_segment(source, output))


def test_unknown_token_fails_and_a_repetitive_source_may_repeat() -> None:
    assert check_segment("Bitcoin rallies", "Bitcoin stijgt", unknown=True) == [
        "<unk> in the output"
    ]
    assert check_segment("buy buy buy buy now", "koop koop koop koop nu") == []


def test_sentences_split_but_abbreviations_and_decimals_do_not() -> None:
    text = (
        'The U.S. SEC approved it. Bitcoin rose 1.5% to $70,000! "Big day," he said. '
        "Dat is o.a. Bitvavo. Next: 2027."
    )
    assert split_sentences(text) == [
        "The U.S. SEC approved it.",
        "Bitcoin rose 1.5% to $70,000!",
        '"Big day," he said.',
        "Dat is o.a. Bitvavo.",
        "Next: 2027.",
    ]
    assert split_sentences("  ") == []


@pytest.mark.parametrize(
    ("title", "cased"),
    [
        (
            "Bitcoin Price Surges Past $70K as ETF Inflows Hit Record",
            "Bitcoin price surges past $70K as ETF inflows hit record",
        ),
        ("SEC DELAYS DECISION ON ETHEREUM ETF", "SEC delays decision on Ethereum ETF"),
        (
            "Why DeFi Protocols Are Moving to Layer-2 Networks",
            "Why DeFi protocols are moving to layer-2 networks",
        ),
        ("ZXQA Whales Are Buying Again", "ZXQA whales are buying again"),
        ("Ether falls after exchange hack", "Ether falls after exchange hack"),  # already fine
    ],
)
def test_title_case_and_shouting_headlines_get_sentence_case(title: str, cased: str) -> None:
    assert sentence_case(title) == cased


def test_names_from_the_summary_keep_their_capitals() -> None:
    names = learn_names("Shares fell after Silicon Valley Bank failed. Analysts at Kaiko agree.")
    assert sentence_case("Silicon Valley Bank Crisis Hits Kaiko Data", names=names) == (
        "Silicon Valley Bank crisis hits Kaiko data"
    )
