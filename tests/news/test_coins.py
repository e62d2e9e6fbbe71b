from __future__ import annotations

import pytest

from bot.news.clean import clean_text, clean_title
from bot.news.coins import COIN_NAMES, tag_coins
from bot.news.parse import parse_bytes
from tests.news.conftest import saved


@pytest.mark.parametrize(
    ("text", "coins"),
    [
        ("Bitcoin Plunges Below $90K as AI Worries Drag Nasdaq", ["BTC"]),
        ("Ether price rallied 260% last time this happened: Can ETH reach $5K?", ["ETH"]),
        ("XRP Ledger Upgrade Lays Groundwork for Lending", ["XRP"]),
        ("DOT Sinks 2% After Breaking Key Support", ["DOT"]),
        ("Polkadot-koers daalt verder", ["DOT"]),
        ("Ripple-koers stijgt na uitspraak", ["XRP"]),
        ("Florida Seizes $1.5M in Dogecoin, Pepe and Solana", ["DOGE", "SOL"]),
        ("Analisten verwachten dat $SOL en $link verder stijgen", ["LINK", "SOL"]),
        ("Backed, Chainlink Unveil xBridge Between Solana and Ethereum", ["ETH", "LINK", "SOL"]),
        ("De TON token wint terrein", ["TON"]),
        ("Cardano en litecoin in de lift", ["ADA", "LTC"]),
    ],
)
def test_tags_tickers_and_names_in_both_languages(text: str, coins: list[str]) -> None:
    assert sorted(tag_coins(text)) == sorted(coins)


@pytest.mark.parametrize(
    "text",
    [
        "Click the link in our bio to read more",
        "Hij verdiende een ton met zijn bedrijf",  # ton: 100,000 euros
        "Ada Lovelace wrote the first program",
        "Een dot op de kaart, zei hij, en de sol van de toonladder",
        "The Sol LeWitt exhibition opened on Friday",
        "A ton of new users joined, every dot connected",
        "Uni students tether their phones",
        "BREAKING: LINK UP WITH US AT THE CONFERENCE",  # shouting, not a ticker
    ],
)
def test_ordinary_words_are_not_coins(text: str) -> None:
    assert tag_coins(text) == []


def test_most_mentioned_first() -> None:
    assert tag_coins("Ethereum and ETH options; bitcoin too") == ["ETH", "BTC"]


def test_real_feed_tags() -> None:
    found: dict[str, list[str]] = {}
    for entry in parse_bytes(saved("coindesk_en_20251212.rss")).entries:
        title = clean_title(entry.title)
        found[title] = tag_coins(title, clean_text(entry.summary))
    assert found["DOT Sinks 2% After Breaking Key Support"] == ["DOT"]
    assert (
        "BTC" in found["Bitcoin Plunges Below $90K as AI Worries Drag Nasdaq, Crypto Stocks Down"]
    )
    assert found["Most Influential: Tom Lee"] == []


def test_coin_names_cover_the_tagged_tickers() -> None:
    assert COIN_NAMES["BTC"] == "Bitcoin"
    assert {"ETH", "XRP", "SOL", "ADA", "DOGE", "USDT", "USDC"} <= set(COIN_NAMES)
