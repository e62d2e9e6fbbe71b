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


def test_a_sentence_repeated_across_stories_is_translated_once_and_reaches_every_story() -> None:
    # The same masked text in three stories, each with its own original behind ZXQA.
    stories = [
        PendingArticle(i, "en", f"Quiet day number {i} on the markets", f"{coin} rose 5% today.")
        for i, coin in enumerate(["BTC", "ETH", "BTC"])
    ]
    stub = StubTranslator()
    results = translate_articles(stub, stories)
    [sent] = stub.calls
    assert sent.count("ZXQA rose 5% today.") == 1 and len(sent) == 4  # 3 titles + 1 sentence
    assert [r.summary for r in results] == [
        "NL BTC rose 5% today.",
        "NL ETH rose 5% today.",
        "NL BTC rose 5% today.",
    ]
    assert [r.title for r in results] == [
        f"NL Quiet day number {i} on the markets" for i in range(3)
    ]
    assert all(r.status == "ok" for r in results)


def test_a_repeated_sentence_that_fails_fails_in_every_story_and_retries_once() -> None:
    stories = [
        PendingArticle(i, "en", f"Calm markets number {i}", f"{coin} rose 5% today.")
        for i, coin in enumerate(["BTC", "ETH"])
    ]

    def drop(text: str) -> Generated:  # loses the placeholder: retried unmasked
        return Generated(text.replace("ZXQA", "").strip() if "ZXQA" in text else f"NL {text}")

    stub = StubTranslator(rule=drop)
    first, second = translate_articles(stub, stories)
    # the retry sends each story's own unmasked text (they differ), each once
    assert sorted(stub.calls[1]) == ["BTC rose 5% today.", "ETH rose 5% today."]
    assert (first.summary, second.summary) == ("NL BTC rose 5% today.", "NL ETH rose 5% today.")


def test_segments_of_only_placeholders_numbers_and_punctuation_come_back_unchanged() -> None:
    story = PendingArticle(
        4,
        "en",
        "$BTC 🚀",
        "BTC: +5% (https://example.com/a). Traders cheered the move. ETH, SOL: 70,000!",
    )
    stub = StubTranslator()
    [result] = translate_articles(stub, [story])
    assert stub.calls == [["Traders cheered the move."]]
    assert result.status == "ok"
    assert result.title == "$BTC 🚀"
    assert result.summary == (
        "BTC: +5% (https://example.com/a). NL Traders cheered the move. ETH, SOL: 70,000!"
    )


def test_a_stray_placeholder_lookalike_in_the_text_still_goes_to_the_model() -> None:
    # "ZXQB" is no placeholder of this segment (only ZXQA is): it is text, sent as such
    from bot.translate.engine import first_inputs

    story = PendingArticle(5, "en", "BTC ZXQB", "")
    assert first_inputs([story]) == ["ZXQA ZXQB"]
