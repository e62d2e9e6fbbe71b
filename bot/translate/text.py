"""Prepare text for a sentence-level model: split summaries, sentence-case shouted headlines.

OPUS-MT was trained on sentences in ordinary case: it drops or garbles content of long
multi-sentence input, and treats "Bitcoin Price Surges" and "bitcoin price surges" as
different words. Most CoinDesk and Decrypt headlines are Title Case.
"""

from __future__ import annotations

import re

from bot.news.coins import COINS


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A sentence ends at . ! ? (and closing quotes) followed by space and an upper-case letter,
# a digit or an opening quote; abbreviations below do not end one.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9À-Ý])")
_ABBREVIATIONS = _words(
    """mr mrs ms dr prof sr jr st inc ltd co corp vs etc e.g i.e approx no nr fig
    jan feb mar apr jun jul aug sep sept oct nov dec
    bijv o.a d.w.z m.a.w ca mln mld mrd dhr mevr blz vgl resp"""
)
_INITIALS = re.compile(r"(?:\b[A-Za-z]\.)+$")  # U.S. / U.K. / J.P.


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, whitespace trimmed; "U.S.", "e.g." and "$1.5" do not split."""
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        before = text[start : match.start()].rstrip("\"'”’)")
        last = before.rsplit(None, 1)[-1] if before.split() else ""
        if last.endswith(".") and (
            last[:-1].lower().lstrip("(") in _ABBREVIATIONS or _INITIALS.search(last)
        ):
            continue
        pieces.append(text[start : match.start() + len(match.group(0))].strip())
        start = match.end()
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


_TOKEN = re.compile(r"(?<!\w)[^\W\d_][\w'’.-]*")
_TICKERS = frozenset(c.ticker for c in COINS)
# Acronyms an ALL-CAPS headline cannot show as such (in Title Case they keep themselves).
_ACRONYMS = _words(
    "SEC ETF ETFS ETP US USA UK EU ECB FED FOMC CPI GDP IMF CEO CFO CTO CFTC DOJ FBI IRS "
    "NFT NFTS DAO DEX CEX AI IPO API KYC AML MICA DNB AFM ABN ING FTX"
)
_NAMES = {c.name.lower(): c.name for c in COINS}
_SMALL = _words(
    "a an and as at but by for from in into of on or over the to up vs via with "
    "de het een en van op voor met"
)


def _is_title_case(words: list[str]) -> bool:
    """Most longer words (after the first) start upper case: a Title Case headline."""
    longer = [w for w in words[1:] if len(w) > 3 and w.lower() not in _SMALL]
    if len(longer) < 2:
        return False
    upper = sum(w[0].isupper() for w in longer)
    return upper / len(longer) >= 0.75


def _is_shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) >= 0.9


def learn_names(text: str) -> dict[str, str]:
    """Words `text` capitalises mid-sentence (names, by a crude truecaser): lower -> spelling."""
    names: dict[str, str] = {}
    for sentence in split_sentences(text):
        for match in list(_TOKEN.finditer(sentence))[1:]:
            word = match.group(0).rstrip(".")
            if word[:1].isupper() and not word.isupper():
                names.setdefault(word.lower(), word)
    return names


def _recase(word: str, first: bool, names: dict[str, str], shouting: bool) -> str:
    bare = word.rstrip(".")
    if bare in _TICKERS or bare.startswith("ZXQ") or (shouting and bare in _ACRONYMS):
        return word
    known = names.get(bare.lower()) or _NAMES.get(bare.lower())
    if known is not None:
        return known + word[len(bare) :]
    acronym = bare.isupper() and len(bare) > 1
    if not shouting and (acronym or any(c.isupper() for c in bare[1:])):
        return word  # an acronym (ETF, SEC) or an inner capital (DeFi, OKCoin)
    lower = word.lower()
    return lower[:1].upper() + lower[1:] if first else lower


def sentence_case(title: str, *, names: dict[str, str] | None = None) -> str:
    """Title Case or ALL-CAPS headlines in sentence case; other text unchanged.

    Kept: the first word's capital, tickers, placeholders, acronyms, inner capitals (DeFi),
    coin names, and `names` (e.g. learned from the story's summary with `learn_names`).
    """
    words = _TOKEN.findall(title)
    shouting = _is_shouting(title)
    if not shouting and not _is_title_case(words):
        return title
    known = names or {}
    out: list[str] = []
    pos = 0
    for index, match in enumerate(_TOKEN.finditer(title)):
        out.append(title[pos : match.start()])
        parts = match.group(0).split("-")
        out.append(
            "-".join(
                _recase(p, index == 0 and i == 0, known, shouting) if p else p
                for i, p in enumerate(parts)
            )
        )
        pos = match.end()
    out.append(title[pos:])
    return "".join(out)
