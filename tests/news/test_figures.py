from __future__ import annotations

from bot.news.dedupe import title_tokens
from bot.news.figures import disagree


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
    assert not disagree(title_tokens("5th halving"), title_tokens("6th halving"))
    # "5 m" is not five million: only an attached letter scales.
    assert title_tokens("$5m") == {"5000000"} and "5000000" not in title_tokens("5 m")


def test_titles_with_different_figures_disagree() -> None:
    cases = [
        ("Curve hacked for $50M", "Curve hacked for $5M"),
        ("Bitcoin hits $100K", "Bitcoin hits $90K"),
        ("Bitcoin hits $100K", "Bitcoin hits $98K"),
        ("DOT sinks 2%", "DOT sinks 3%"),
        ("$520M liquidated as ETH falls 8%", "$520M liquidated as ETH falls 9%"),
    ]
    for a, b in cases:
        assert disagree(title_tokens(a), title_tokens(b)), (a, b)


def test_omitted_respelled_or_rounded_figures_agree() -> None:
    cases = [
        ("Curve hacked for $50M", "Curve hacked, funds drained"),  # one outlet omits it
        ("Do Kwon gets 15 years for $40B fraud", "Do Kwon sentenced to 15 years"),
        ("Curve hacked for $50M", "Curve gehackt: 50 miljoen dollar buit"),
        ("XRP koers stijgt boven $2,50", "XRP rises above $2.5"),
        ("Tether raises at $1.5B", "Tether raises at $1.48B"),  # rounded differently
        ("SUI gains 5.2%", "SUI up 5%"),
        # The same block reward converted at different prices (2025-12-12, two outlets).
        (
            "Solo Bitcoin Miner Beats the Odds, Winning $282K Reward",
            "Lucky solo bitcoin miner beats 1-in-82-year odds to win $285,000 block reward",
        ),
    ]
    for a, b in cases:
        assert not disagree(title_tokens(a), title_tokens(b)), (a, b)
