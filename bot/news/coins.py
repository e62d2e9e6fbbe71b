"""Tag the coins an article is about, from tickers and names in English and Dutch.

Ordinary words must not count: "link", "ton", "dot", "sol", "ada", "one" are prose too (and
"sol" is Dutch for the musical note, "ton" for a hundred thousand euros). Ambiguous symbols
count only in upper case ("DOT", "TON"), with a cashtag ("$sol"), or right next to a crypto
context word ("Chainlink-koers", "TON token").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import BadInput
from bot.i18n import N_


@dataclass(frozen=True)
class Coin:
    ticker: str
    name: str
    names: tuple[str, ...] = ()  # unambiguous names, matched in any case
    ambiguous: tuple[str, ...] = ()  # words that are also ordinary prose


COINS: tuple[Coin, ...] = (
    Coin("BTC", "Bitcoin", ("bitcoin", "bitcoins", "btc", "xbt")),
    Coin("ETH", "Ethereum", ("ethereum", "eth", "ether")),
    Coin("XRP", "XRP", ("xrp",), ("ripple",)),
    Coin("SOL", "Solana", ("solana",), ("sol",)),
    Coin("ADA", "Cardano", ("cardano",), ("ada",)),
    Coin("DOGE", "Dogecoin", ("dogecoin", "doge")),
    Coin("BNB", "BNB", ("bnb",)),
    Coin("LTC", "Litecoin", ("litecoin", "ltc")),
    Coin("DOT", "Polkadot", ("polkadot",), ("dot",)),
    Coin("AVAX", "Avalanche", ("avax",), ("avalanche",)),
    Coin("LINK", "Chainlink", ("chainlink",), ("link",)),
    Coin("TRX", "TRON", ("trx",), ("tron",)),
    Coin("TON", "Toncoin", ("toncoin",), ("ton",)),
    Coin("SHIB", "Shiba Inu", ("shiba inu", "shib")),
    Coin("USDT", "Tether", ("usdt",), ("tether",)),
    Coin("USDC", "USD Coin", ("usdc", "usd coin")),
    Coin("XLM", "Stellar", ("xlm",), ("stellar",)),
    Coin("SUI", "Sui", (), ("sui",)),
    Coin("HBAR", "Hedera", ("hedera", "hbar")),
    Coin("PEPE", "Pepe", (), ("pepe",)),
    Coin("ATOM", "Cosmos", (), ("atom", "cosmos")),
    Coin("FIL", "Filecoin", ("filecoin",), ("fil",)),
    Coin("UNI", "Uniswap", ("uniswap",), ("uni",)),
    Coin("AAVE", "Aave", ("aave",)),
    Coin("PYUSD", "PayPal USD", ("pyusd",)),
)

COIN_NAMES: dict[str, str] = {c.ticker: c.name for c in COINS}

# Words that make an adjacent ambiguous name a coin: "TON token", "Ripple-koers", "XRP Ledger".
_CONTEXT = (
    r"(?:token|tokens|coin|coins|munt|munten|crypto|cryptomunt|koers|price|prijs|network|"
    r"netwerk|blockchain|mainnet|ledger|etf|etfs|staking|wallet|protocol|labs|holders|"
    r"whales|walvissen|rally|trading|traders|futures|ecosystem|ecosysteem|foundation)"
)
_WB_L = r"(?<![\w$])"
_WB_R = r"(?![\w])"


def _name_pattern(words: tuple[str, ...]) -> str:
    return "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True)
    )


def _key(word: str) -> str:
    return " ".join(word.lower().split())


# Three alternations over all coins (one regex pass each), and the word -> ticker maps.
_LOOSE = {_key(n): c.ticker for c in COINS for n in c.names}
_AMBIGUOUS = {_key(n): c.ticker for c in COINS for n in c.ambiguous}
_TICKERS = {c.ticker.lower(): c.ticker for c in COINS}
# Unambiguous names in any case, and cashtags ($SOL, $link): always a coin.
_LOOSE_RE = re.compile(
    rf"{_WB_L}(?P<name>{_name_pattern(tuple(_LOOSE))}){_WB_R}"
    rf"|\$(?P<cashtag>{_name_pattern(tuple(_TICKERS))}){_WB_R}",
    re.I,
)
_AMB = _name_pattern(tuple(_AMBIGUOUS))
# Ambiguous words in capitals are tickers ("DOT sinks"), unless the whole text shouts.
_UPPER_RE = re.compile(rf"{_WB_L}(?P<word>{_AMB.upper()}){_WB_R}")
# Ambiguous words next to a crypto word: "TON token", "Ripple-koers", "token ADA".
_CONTEXT_RE = re.compile(
    rf"{_WB_L}(?:(?P<before>{_AMB})[\s-]+{_CONTEXT}|{_CONTEXT}[\s-]+(?P<after>{_AMB})){_WB_R}"
    rf"|{_WB_L}(?P<glued>{_AMB})-?(?:koers|prijs|munt|token|netwerk){_WB_R}",
    re.I,
)


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def tag_coins(*texts: str) -> list[str]:
    """Tickers mentioned in the texts (title, summary), most mentioned first."""
    counts: dict[str, int] = {}

    def count(ticker: str) -> None:
        counts[ticker] = counts.get(ticker, 0) + 1

    for text in texts:
        for m in _LOOSE_RE.finditer(text):
            if m["name"]:
                count(_LOOSE[_key(m["name"])])
            else:
                count(_TICKERS[m["cashtag"].lower()])
        if not _mostly_upper(text):
            for m in _UPPER_RE.finditer(text):
                count(_AMBIGUOUS[_key(m["word"])])
        for m in _CONTEXT_RE.finditer(text):
            word = m["before"] or m["after"] or m["glued"]
            count(_AMBIGUOUS[_key(word)])
    return sorted(counts, key=lambda t: (-counts[t], t))


def parse_coin(value: str | None) -> str | None:
    """A ticker, '$ticker' or coin name as a user typed it -> the ticker (BadInput if unknown)."""
    if not value:
        return None
    ticker = value.strip().upper().lstrip("$")
    if ticker in COIN_NAMES:
        return ticker
    by_name = {name.upper(): t for t, name in COIN_NAMES.items()}
    if ticker in by_name:
        return by_name[ticker]
    raise BadInput(N_("I don't know the coin %(coin)s."), coin=value[:20])
