"""Templated crypto headlines that look alike, for clustering tests and benchmarks.

Each *event* (a hack, a price level, ETF flows, a treasury buy, a liquidation wave) is
reported by one to four outlets in their own words, in English or Dutch, within two hours.
Events of one kind differ in coin, protocol, company and above all in their amounts, so a
title often shares almost every word with titles of other events: the hard case for an
index (common tokens) and for the "numbers make different stories" rule. Two subjects may
share an amount (two $60M hacks in one day): their titles then differ in a name only, which
title similarity cannot tell from a rewrite, so such events can end up in one story.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

START = datetime(2025, 12, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Headline:
    title: str
    summary: str
    published: datetime
    event: int  # the true story: headlines of one event are rewrites of each other
    outlet: str


COINS = [  # name, ticker, price levels (thousands of dollars for BTC, else dollars)
    ("Bitcoin", "BTC", [str(k) for k in range(80, 126, 2)]),
    ("Ethereum", "ETH", [str(k) for k in range(2500, 5000, 100)]),
    ("Solana", "SOL", [str(k) for k in range(120, 265, 5)]),
    ("XRP", "XRP", [f"{k / 10:.1f}" for k in range(18, 35)]),
]
# fmt: off
PROTOCOLS = [
    "Curve", "Balancer", "Euler", "Radiant", "Mango", "Harvest", "Cream", "Beanstalk", "Nomad",
    "Ronin", "Wormhole", "Multichain", "Poly", "Hyperliquid", "Abracadabra", "Sonne", "Onyx",
    "Raft", "Exactly", "Penpie", "Bybit", "Orbit", "Seneca", "Velocore", "Shezmu", "Cetus",
    "Zoth", "Infini", "Loopscale",
]
COMPANIES = [
    "Strategy", "Metaplanet", "Semler", "Tesla", "GameStop", "Marathon", "Riot", "Coinbase",
    "Nakamoto", "Twenty-One", "BitMine", "SharpLink", "Upexi", "DeFiDevelopment", "Sequans",
    "Smarter", "Boyaa", "KindlyMD",
]
# fmt: on
OUTLETS_EN = ["CoinDesk", "Cointelegraph", "Decrypt", "The Block", "Bitcoin Magazine"]
OUTLETS_NL = ["Newsbit", "Crypto Insiders", "Bitcoin Magazine NL"]
UP = ["climbs", "jumps", "surges", "rallies", "rises"]
DOWN = ["falls", "slides", "drops", "plunges", "sinks"]
DRIVERS = [
    "ETF inflows return",
    "traders eye the Fed",
    "short sellers capitulate",
    "stocks rebound",
    "risk appetite fades",
    "whales keep buying",
]
TAILS = (  # summaries restate the title, then add a line of market colour
    [
        "Analysts expect volatility to stay high this week.",
        "The move comes amid thin holiday liquidity.",
        "Market participants are watching the next macro data release.",
    ],
    [
        "Analisten verwachten deze week veel beweging.",
        "De markt kijkt naar nieuwe cijfers uit de Verenigde Staten.",
    ],
)
VECTORS = ["flash loan", "oracle", "private key", "bridge", "reentrancy"]


def _grid(low: int, high: int) -> list[int]:
    """Amounts about 5% apart: closer figures count as one figure rounded differently
    (bot/news/figures.py), so events of one subject never come that close."""
    values, x = set(), float(low)
    while x <= high:
        values.add(round(x) if x < 1000 else round(x, -1))
        x *= 1.05
    return sorted(int(v) for v in values)


HACKS, ETF_FLOWS, LIQUIDATIONS, PURCHASES = (
    _grid(1, 300),
    _grid(20, 1500),
    _grid(50, 2000),
    _grid(10, 30_000),
)


def _dollars(millions: int, style: str) -> str:
    """An amount in a house style: '$50M', '$50 million', '50 miljoen dollar', '$1.25B'."""
    if millions >= 1000:
        value, short, long, nl = f"{millions / 1000:g}", "B", " billion", " miljard"
    else:
        value, short, long, nl = str(millions), "M", " million", " miljoen"
    if style == "short":
        return f"${value}{short}"
    if style == "long":
        return f"${value}{long}"
    return f"{value.replace('.', ',')}{nl} dollar"  # Dutch: decimal comma


def _price(coin: str, level: str, style: str) -> str:
    """A price level: '$100K', '$100,000', '$100.000' (Dutch), '$2.5' / '$2,50'."""
    if coin == "BTC":
        k = int(level)
        return {"short": f"${k}K", "long": f"${k},000", "nl": f"${k}.000"}[style]
    if coin == "XRP":
        return f"${level.replace('.', ',')}0" if style == "nl" else f"${level}"
    value = int(level)
    grouped = f"{value:,}"
    return f"${grouped.replace(',', '.')}" if style == "nl" else f"${grouped}"


def _price_titles(rng: random.Random, coin: tuple[str, str, list[str]], level: str) -> list[str]:
    name, ticker, _ = coin
    up = rng.random() < 0.5
    verb = rng.choice(UP if up else DOWN)
    to = "above" if up else "below"
    nl_verb, nl_to = ("stijgt", "boven") if up else ("zakt", "onder")
    return [
        f"{name} {verb} {to} {_price(ticker, level, 'short')} as {rng.choice(DRIVERS)}",
        f"{name} price {verb} {to} {_price(ticker, level, 'long')} as {rng.choice(DRIVERS)}",
        f"{ticker} {verb} {to} {_price(ticker, level, 'short')}: traders eye next level",
        f"{name} koers {nl_verb} {nl_to} {_price(ticker, level, 'nl')}",
    ]


def _hack_titles(rng: random.Random, protocol: str, amount: int) -> list[str]:
    vector = rng.choice(VECTORS)
    return [
        f"DeFi protocol {protocol} hacked for {_dollars(amount, 'short')} in {vector} exploit",
        f"{protocol} loses {_dollars(amount, 'long')} in {vector} exploit",
        f"{protocol} exploit: hackers drain {_dollars(amount, 'short')} from DeFi protocol",
        f"DeFi-protocol {protocol} gehackt: {_dollars(amount, 'nl')} buitgemaakt",
    ]


def _etf_titles(rng: random.Random, coin: tuple[str, str, list[str]], amount: int) -> list[str]:
    name, ticker, _ = coin
    flows = rng.choice(["inflows", "outflows"])
    nl_flows = "instroom" if flows == "inflows" else "uitstroom"
    return [
        f"Spot {name} ETFs see {_dollars(amount, 'short')} in net {flows}",
        f"Spot {name} ETFs record {_dollars(amount, 'long')} in daily net {flows}",
        f"{ticker} ETF {flows} hit {_dollars(amount, 'short')} as {rng.choice(DRIVERS)}",
        f"Spot {name} ETF's zien {_dollars(amount, 'nl')} aan {nl_flows}",
    ]


def _treasury_titles(company: str, coin: tuple[str, str, list[str]], count: int) -> list[str]:
    name, ticker, _ = coin
    return [
        f"{company} buys {count:,} {ticker} for its corporate treasury",
        f"{company} adds {count:,} {name} to its treasury in latest purchase",
        f"{company} acquires another {count:,} {ticker}, expanding {name} treasury",
        f"{company} koopt {count:,} {ticker} voor de treasury".replace(",", "."),
    ]


def _liquidation_titles(
    rng: random.Random, coin: tuple[str, str, list[str]], amount: int, pct: int
) -> list[str]:
    name, ticker, _ = coin
    verb = rng.choice(DOWN)
    return [
        f"Over {_dollars(amount, 'short')} in {ticker} longs liquidated as {name} {verb} {pct}%",
        f"{name} {verb} {pct}%, wiping out {_dollars(amount, 'long')} in leveraged longs",
        f"{_dollars(amount, 'short')} in longs liquidated as {name} {verb} {pct}%",
        f"{name} zakt {pct} procent: {_dollars(amount, 'nl')} aan longs geliquideerd",
    ]


def _event(rng: random.Random, used: set[tuple[object, ...]]) -> list[str]:
    """Titles in four house styles (the fourth Dutch) for one new event."""
    for _ in range(100_000):
        kind = rng.randrange(5)
        coin = rng.choice(COINS)
        if kind == 0:
            level = rng.choice(coin[2])
            key: tuple[object, ...] = ("price", coin[1], level)
            titles = _price_titles(rng, coin, level)
        elif kind == 1:
            protocol, amount = rng.choice(PROTOCOLS), rng.choice(HACKS)
            key = ("hack", protocol, amount)
            titles = _hack_titles(rng, protocol, amount)
        elif kind == 2:
            amount = rng.choice(ETF_FLOWS)
            key = ("etf", coin[1], amount)
            titles = _etf_titles(rng, coin, amount)
        elif kind == 3:
            company, count = rng.choice(COMPANIES), rng.choice(PURCHASES)
            key = ("treasury", company, coin[1], count)
            titles = _treasury_titles(company, coin, count)
        else:
            amount, pct = rng.choice(LIQUIDATIONS), rng.randint(2, 15)
            key = ("liquidations", coin[1], amount)
            titles = _liquidation_titles(rng, coin, amount, pct)
        if key not in used:  # one event per kind, subject and amount
            used.add(key)
            return titles
    raise ValueError("no new events left: ask for fewer headlines")


def similar_headlines(n: int, seed: int = 0, hours: float = 24) -> list[Headline]:
    """`n` headlines of events spread over `hours`, oldest first, reproducible by `seed`."""
    rng = random.Random(seed)
    used: set[tuple[object, ...]] = set()
    out: list[Headline] = []
    event = 0
    while len(out) < n:
        titles = _event(rng, used)
        at = START + timedelta(hours=rng.uniform(0, hours))
        styles = rng.sample(range(4), k=min(n - len(out), rng.choice([1, 1, 2, 2, 3, 4])))
        for style in styles:
            outlet = rng.choice(OUTLETS_NL if style == 3 else OUTLETS_EN)
            published = at + timedelta(minutes=rng.uniform(0, 120))
            summary = f"{titles[style]}. {rng.choice(TAILS[style == 3])}"
            out.append(Headline(titles[style], summary, published, event, outlet))
        event += 1
    out.sort(key=lambda h: h.published)
    return out
