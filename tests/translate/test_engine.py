"""The per-story flow against stub translators: segments, masks, retry, fallback."""

from __future__ import annotations

from bot.translate.engine import Generated, translate_articles
from bot.translate.store import PendingArticle
from tests.translate.stubs import StubTranslator

STORY = PendingArticle(
    7,
    "en",
    "Bitcoin Price Surges Past $70,000 as ETF Inflows Hit Record",
    "BTC rose 5% on Monday. See https://example.com/x for the data.",
)


def test_title_and_each_sentence_are_masked_cased_and_translated_in_one_batch() -> None:
    stub = StubTranslator()
    [result] = translate_articles(stub, [STORY])
    assert len(stub.calls) == 1
    assert stub.calls[0] == [
        "ZXQA price surges past $70,000 as ETF inflows hit record",
        "ZXQA rose 5% on Monday.",
        "See ZXQA for the data.",
    ]
    assert result.status == "ok" and result.problems is None
    assert result.title == "NL Bitcoin price surges past $70,000 as ETF inflows hit record"
    assert result.summary == "NL BTC rose 5% on Monday. NL See https://example.com/x for the data."
    assert (result.article_id, result.source_lang, result.target_lang, result.model) == (
        7,
        "en",
        "nl",
        "stub@test",
    )


def test_a_dropped_placeholder_is_retried_unmasked() -> None:
    def drop(text: str) -> Generated:
        return Generated(text.replace("ZXQA", "").strip() or text)

    stub = StubTranslator(rule=drop)
    [result] = translate_articles(stub, [STORY])
    assert len(stub.calls) == 2
    assert all("ZXQ" not in t for t in stub.calls[1]) and len(stub.calls[1]) == 3
    assert result.status == "ok"
    assert "https://example.com/x" in result.summary and result.title.startswith("Bitcoin")


def test_a_check_that_fails_twice_keeps_the_whole_original_story() -> None:
    def bad_numbers(text: str) -> Generated:
        return Generated(text.replace("5%", "6%"))

    [result] = translate_articles(StubTranslator(rule=bad_numbers), [STORY])
    assert result.status == "fallback"
    assert (result.title, result.summary) == (STORY.title, STORY.summary)
    assert result.problems is not None and "sentence 1: numbers changed" in result.problems


def test_unknown_tokens_and_loops_fall_back_per_story() -> None:
    good = PendingArticle(1, "en", "Markets are calm", "Nothing happened today at all.")
    looping = PendingArticle(2, "en", "Markets are calm again", "Quiet day.")

    def rule(text: str) -> Generated:
        if "again" in text:
            return Generated("nee nee nee nee nee nee")
        return Generated(f"NL {text}", unknown="Nothing" in text)

    ok, loop = translate_articles(StubTranslator(rule=rule), [good, looping])
    assert ok.status == "fallback" and "<unk>" in (ok.problems or "")
    assert loop.status == "fallback" and "title: repetition loop" in (loop.problems or "")


def test_text_without_letters_is_not_sent_to_the_model() -> None:
    stub = StubTranslator()
    [result] = translate_articles(stub, [PendingArticle(3, "en", "2026!", "")])
    assert stub.calls == []
    assert result.status == "ok" and (result.title, result.summary) == ("2026!", "")
