"""Tag the coins an article is about, from tickers and names in English and Dutch.

Ordinary words must not count: "link", "ton", "dot", "sol", "ada", "one" are prose too (and
"sol" is Dutch for the musical note, "ton" for a hundred thousand euros). Ambiguous symbols
count only in upper case ("DOT", "TON"), with a cashtag ("$sol"), or right next to a crypto
context word ("Chainlink-koers", "TON token").
"""

from __future__ import annotations

import re
from dataclasses import dataclass


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


@dataclass(frozen=True)
class _Matcher:
    ticker: str
    loose: re.Pattern[str]  # unambiguous names and cashtags, any case
    upper: re.Pattern[str] | None  # ambiguous words, case-sensitive all-caps
    context: re.Pattern[str] | None  # ambiguous words, any case, with a context word


def _matchers() -> list[_Matcher]:
    out = []
    for coin in COINS:
        # A cashtag ($SOL, $link) is always a coin, whatever the word.
        cashtag = rf"\${re.escape(coin.ticker)}{_WB_R}"
        names = rf"{_WB_L}(?:{_name_pattern(coin.names)}){_WB_R}|" if coin.names else ""
        loose = re.compile(names + cashtag, re.I)
        upper = context = None
        if coin.ambiguous:
            amb = _name_pattern(coin.ambiguous)
            # All-caps spelling is a ticker, except short all-caps headlines shouting words.
            upper = re.compile(rf"{_WB_L}(?:{amb.upper()}){_WB_R}")
            context = re.compile(
                rf"{_WB_L}(?:(?:{amb})[\s-]+{_CONTEXT}|{_CONTEXT}[\s-]+(?:{amb})){_WB_R}"
                rf"|{_WB_L}(?:{amb})-?(?:koers|prijs|munt|token|netwerk){_WB_R}",
                re.I,
            )
        out.append(_Matcher(coin.ticker, loose, upper, context))
    return out


_MATCHERS = _matchers()


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def tag_coins(*texts: str) -> list[str]:
    """Tickers mentioned in the texts (title, summary), most mentioned first."""
    counts: dict[str, int] = {}
    for text in texts:
        shouting = _mostly_upper(text)
        for m in _MATCHERS:
            n = len(m.loose.findall(text))
            if m.upper is not None and not shouting:
                n += len(m.upper.findall(text))
            if m.context is not None:
                n += len(m.context.findall(text))
            if n:
                counts[m.ticker] = counts.get(m.ticker, 0) + n
    return sorted(counts, key=lambda t: (-counts[t], t))
