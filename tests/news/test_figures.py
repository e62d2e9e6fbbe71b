from __future__ import annotations

from bot.news.dedupe import title_tokens


def test_amounts_are_one_token_in_any_scale_and_language() -> None:
    assert (
        title_tokens("$50M")
        == title_tokens("$50 million")
        == title_tokens("50 miljoen")
        == title_tokens("50 mln")
        == {"50000000"}
    )
    assert title_tokens("$1.5B") == title_tokens("1,5 miljard") == title_tokens("$1.5 billion")
    assert title_tokens("$3.9Billion") == {"3900000000"}
    assert title_tokens("5%") == title_tokens("5 procent") == title_tokens("5 percent") == {"5%"}
    assert title_tokens("20M users") == title_tokens("20 million users")


def test_digits_glued_to_letters_are_words_not_figures() -> None:
    assert title_tokens("Web3 gaming") == {"web3", "gaming"}
    assert title_tokens("1inch token") == {"1inch", "token"}
    assert title_tokens("5th halving") == {"5th", "halving"}
    # "5 m" is not five million: only an attached letter scales.
    assert title_tokens("$5m") == {"5000000"} and "5000000" not in title_tokens("5 m")
