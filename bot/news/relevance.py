"""Is an article about crypto? The rule behind a feed's `crypto_only` option.

A general outlet (NOS Economie, NU.nl Economie) writes about crypto now and then; its other
stories (tariffs, housing, football) must not reach a crypto server. An article counts when

* bot/news/coins.py tagged a coin in it (title or text), or
* its title or summary holds a crypto term below, English or Dutch.

Every term is unambiguous on its own: "mining", "token", "wallet", "halving", "ledger" and
"exchange" are ordinary words in general news and are not terms; an article with them stays
only when it also names a coin (coins.py) or a term.
`crypto` also matches its compounds (cryptomunt, cryptobeurs, crypto-exchange, cryptowet) but
not cryptography / cryptografie / cryptogram.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.news.normalize import Article

# Matched in any case as the start of a word: cryptomunt, crypto-exchange, tokenized,
# tokenisatie (but not cryptografie, cryptography, cryptogram, cryptozoology).
CRYPTO_STEMS: tuple[str, ...] = ("crypto", "tokeniz", "tokenis")
# Matched in any case as whole words, with an English plural or Dutch -en allowed.
CRYPTO_TERMS: tuple[str, ...] = (
    # both languages
    "blockchain",
    "stablecoin",
    "altcoin",
    "memecoin",
    "defi",
    "nft",
    "web3",
    "cbdc",
    "satoshi",
    "bitvavo",
    "coinbase",
    "binance",
    "bitpanda",
    "microstrategy",
    # English
    "digital asset",
    "digital currency",
    "digital euro",
    # Dutch
    "cryptovaluta",
    "digitale munt",
    "digitale valuta",
    "digitale euro",
)
# Case-sensitive: as written in news, and ordinary words otherwise ("mica" is a mineral).
CRYPTO_TERMS_EXACT: tuple[str, ...] = ("MiCA", "MiCAR")

_WORD_END = r"(?:s|en|'s)?(?![\w])"
_STEMS = "|".join(map(re.escape, CRYPTO_STEMS))
_WORDS = "|".join(
    re.escape(t).replace(r"\ ", r"[\s-]+") for t in sorted(CRYPTO_TERMS, key=len, reverse=True)
)
_TERM_RE = re.compile(
    rf"(?<![\w$])(?:(?:{_STEMS})(?!gra[fmp]|zo)[\w-]*|(?:{_WORDS}){_WORD_END})", re.I
)
_EXACT_RE = re.compile(
    rf"(?<![\w])(?P<exact>{'|'.join(map(re.escape, CRYPTO_TERMS_EXACT))})(?![\w])"
)


def crypto_reason(title: str, summary: str, coins: Sequence[str]) -> str | None:
    """Why the article is about crypto ("coin BTC", "term cryptomunt"), or None."""
    if coins:
        return f"coin {coins[0]}"
    for text in (title, summary):
        m = _TERM_RE.search(text) or _EXACT_RE.search(text)
        if m:
            return f"term {m.group(0).lower()}"
    return None


def keep_crypto(articles: Sequence[Article]) -> tuple[list[Article], int]:
    """The articles about crypto, and how many others were dropped."""
    kept = [a for a in articles if crypto_reason(a.title, a.summary, a.coins) is not None]
    return kept, len(articles) - len(kept)
