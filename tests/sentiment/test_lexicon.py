from __future__ import annotations

import pytest

from bot.sentiment.lexicon import LexiconBackend, parse_lexicon, raw_score

backend = LexiconBackend()


def label(text: str, language: str = "en") -> str:
    return backend.score(text, language).label


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bitcoin surges to record high as ETF approval nears", "bullish"),
        ("Exchange hacked, $100m in ether stolen", "bearish"),
        ("Crypto market crashes as liquidations top $1 billion", "bearish"),
        ("Solana rallies 12% after network upgrade", "bullish"),
        ("Company Q2 net loss narrows", "bullish"),
        ("Company Q2 net loss widens", "bearish"),
        ("Fed cuts rates", "bullish"),
        ("Unemployment rises to 5%", "bearish"),
        ("Coinbase names new chief financial officer", "neutral"),
    ],
)
def test_english(text: str, expected: str) -> None:
    assert label(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bitcoin koers stijgt fors na goedkeuring ETF", "bullish"),
        ("Uitbraak: bitcoin op recordhoogte", "bullish"),
        ("Cryptobeurs gehackt, miljoenen gestolen", "bearish"),
        ("Liquidaties na koersdaling ether", "bearish"),
        ("Werkloosheid daalt", "bullish"),
        ("Aantal faillissementen neemt af", "bullish"),
        ("Bank schrapt 2000 banen", "bearish"),
        ("Winst ING gestegen", "bullish"),
        ("Kabinet presenteert plannen voor de zorg", "neutral"),
    ],
)
def test_dutch(text: str, expected: str) -> None:
    assert label(text, "nl") == expected


def test_negation_flips_english_and_dutch() -> None:
    assert label("Bitcoin rally") == "bullish"
    assert label("Bitcoin rally not sustainable, analysts say") != "bullish"
    assert label("SEC does not approve the ETF") == "bearish"
    assert label("Economie groeit", "nl") == "bullish"
    assert label("Economie groeit niet", "nl") == "bearish"  # Dutch negation after the verb
    assert label("Geen herstel voor de huizenmarkt", "nl") == "bearish"


def test_intensifiers_and_diminishers_scale() -> None:
    plain = raw_score("Bitcoin falls")[0]
    assert raw_score("Bitcoin falls sharply")[0] < plain < 0
    assert plain < raw_score("Bitcoin falls slightly")[0] < 0


def test_questions_are_hedged() -> None:
    assert abs(raw_score("Will bitcoin crash?")[0]) < abs(raw_score("Bitcoin will crash")[0])


def test_despite_weights_the_main_clause() -> None:
    assert label("Bitcoin rises despite weak jobs data") == "bullish"
    assert label("Koers stijgt maar vrees voor crash blijft", "nl") == "bearish"


def test_mixed_language_text() -> None:
    # English crypto words in a Dutch text (and the reverse) are still read.
    assert label("Bitcoin rally zet door, hodlers bullish", "nl") == "bullish"
    assert label("Exchange hack: koers keldert", "en") == "bearish"


@pytest.mark.parametrize("text", ["", "   ", "—", "12345"])
def test_empty_or_wordless_text_is_neutral(text: str) -> None:
    result = backend.score(text, "en")
    assert (result.label, result.score) == ("neutral", 0.0)
    assert result.confidence < 0.5


def test_batch_keeps_order_and_provenance() -> None:
    texts = ["Bitcoin crashes", "Bitcoin surges", "Bitcoin koers"]
    results = backend.score_batch(texts, ["en", "en", "nl"])
    assert [r.label for r in results] == ["bearish", "bullish", "neutral"]
    assert {(r.backend, r.model) for r in results} == {(backend.name, backend.model)}
    assert all(-1 <= r.score <= 1 and 0 <= r.confidence <= 1 for r in results)
    with pytest.raises(ValueError):
        backend.score_batch(["a"], [])


def test_parse_lexicon_format() -> None:
    lex = parse_lexicon(["[pol]", "-2: crash+, rug pull  # comment", "[int]", "1.5/1: record"])
    assert lex[("crashes",)].weight == -2
    assert lex[("crashing",)].role == "pol"
    assert lex[("rug", "pull")].weight == -2
    assert (lex[("record",)].weight, lex[("record",)].fallback) == (1.5, 1.0)
    with pytest.raises(ValueError, match="unknown section"):
        parse_lexicon(["[nope]"])
    with pytest.raises(ValueError, match="expected"):
        parse_lexicon(["[pol]", "crash"])


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Meer banen in de bouw", "nl", "bullish"),
        ("Meer werklozen in oktober", "nl", "bearish"),
        ("IMF rekent op minder diepe recessie", "nl", "bullish"),
        ("Fewer defaults on crypto loans", "en", "bullish"),
        ("More hacks hit DeFi protocols", "en", "bearish"),
    ],
)
def test_quantities_apply_to_the_next_term(text: str, language: str, expected: str) -> None:
    assert label(text, language) == expected


def test_movement_reads_against_the_subject_before_it() -> None:
    # "falls" belongs to bitcoin (before it), "grow" to fears (before it): both bad news.
    assert label("Bitcoin falls as fears grow") == "bearish"
    assert label("Rupee hits 3-week high on debt-related dollar inflows") == "bullish"
