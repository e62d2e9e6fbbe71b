"""crypto_only: a general Dutch feed keeps its crypto entries and drops the rest, before storing.

The feed is the saved real NU.nl Algemeen document (tests/news/feeds, 2020-01-08: Iran, the
weather, Verstappen, ...; none about crypto) with four items the project wrote in the same
shape, each naming the rule it should meet.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import load_settings
from bot.news.feeds import FeedSpec
from bot.news.fetch import Conditional, FetchResult, FetchStatus
from bot.news.normalize import normalize_entries
from bot.news.parse import parse_bytes
from bot.news.pipeline import ingest
from bot.news.relevance import crypto_reason, keep_crypto
from bot.news.tables import articles
from bot.runtime.services import Services, open_services
from tests.news.conftest import saved

NOW = datetime(2020, 1, 8, 7, tzinfo=UTC)
NU_NL = "nu-nl-algemeen_nl_20200108.xml"

# Written by the project in NU.nl's item shape: (title, description, the rule it meets).
CRYPTO_ITEMS = [
    (
        "Bitcoin stijgt boven 9.000 dollar na spanningen in het Midden-Oosten",
        "Beleggers zochten woensdag een veilige haven, ook in digitaal goud.",
        "coin BTC",
    ),
    (
        "DNB waarschuwt consumenten opnieuw voor risico's van cryptomunten",
        "De toezichthouder ziet steeds meer Nederlanders beleggen zonder te weten wat ze kopen.",
        "term cryptomunten",
    ),
    (
        "Europese Centrale Bank onderzoekt komst van een digitale euro",
        "President Lagarde wil dit jaar beslissen of de bank een proef begint.",
        "term digitale euro",
    ),
    (
        "Amsterdams handelsplatform Bitvavo verdubbelt aantal klanten",
        "Het bedrijf profiteert van de hernieuwde belangstelling voor beleggen.",
        "term bitvavo",
    ),
]


def _nu_nl_with_crypto() -> bytes:
    """The real document with the project's items inserted after its first item."""
    doc = saved(NU_NL).decode("utf-8")
    first = re.search(r"<item>.*?</item>", doc, re.S)
    assert first is not None
    added = []
    for number, (title, description, _rule) in enumerate(CRYPTO_ITEMS, start=1):
        item = first.group(0)
        item = re.sub(r"<title>.*?</title>", f"<title>{title}</title>", item)
        item = re.sub(
            r"<description>.*?</description>", f"<description>{description}</description>", item
        )
        item = re.sub(
            r"<link>.*?</link>",
            f"<link>https://www.nu.nl/economie/90{number}/crypto.html</link>",
            item,
        )
        item = re.sub(
            r"<guid([^>]*)>.*?</guid>", rf"<guid\1>https://www.nu.nl/-/90{number}/</guid>", item
        )
        added.append(item)
    return (doc[: first.end()] + "".join(added) + doc[first.end() :]).encode("utf-8")


def _articles(body: bytes) -> list:
    parsed = parse_bytes(body, {}, max_entries=200)
    return normalize_entries(parsed.entries, source="NU.nl", declared_language="nl", now=NOW)


def test_the_real_general_feed_has_nothing_about_crypto() -> None:
    real = _articles(saved(NU_NL))
    assert len(real) == 10
    assert [crypto_reason(a.title, a.summary, a.coins) for a in real] == [None] * 10
    assert keep_crypto(real) == ([], 10)
    # The Dutch tech feed (Tweakers, 40 items: cameras, routers, ransomware) neither.
    assert keep_crypto(_articles(saved("tweakers_nl_20200107.xml")))[0] == []


def test_each_crypto_item_is_kept_for_its_rule() -> None:
    by_title = {a.title: a for a in _articles(_nu_nl_with_crypto())}
    for title, _description, rule in CRYPTO_ITEMS:
        a = by_title[title]
        assert crypto_reason(a.title, a.summary, a.coins) == rule, title


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Crypto-exchange gaat failliet", "term crypto-exchange"),
        ("Kabinet wil strengere cryptowet", "term cryptowet"),
        ("SEC approves tokenized stocks", "term tokenized"),
        ("Stablecoins groeien hard", "term stablecoins"),
        ("Bank zet in op blockchain", "term blockchain"),
        ("AFM verleent MiCA-vergunning", "term mica"),
        ("Ethereum-upgrade uitgesteld", "coin ETH"),
        ("TON token daalt", "coin TON"),
        # Ordinary words that are crypto only next to a coin: not enough alone.
        ("Cryptografie beschermt je bankapp", None),
        ("Kolenmijnen: mining in Limburg", None),
        ("Ledger van de gemeente klopt niet", None),
        ("Een ton voor de winnaar", None),
        ("Wallet van de minister gestolen", None),
        ("Mica in make-up onder vuur", None),
        ("Definitieve beslissing over de halving van subsidies", None),
    ],
)
def test_the_rule(text: str, reason: str | None) -> None:
    from bot.news.coins import tag_coins

    assert crypto_reason(text, "", tag_coins(text)) == reason


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with open_services(load_settings(data_dir=tmp_path / "data")) as svc:
        yield svc


async def test_the_pass_stores_only_the_crypto_items_of_a_crypto_only_feed(
    services: Services,
) -> None:
    body = _nu_nl_with_crypto()

    async def fetch(url: str, conditional: Conditional) -> FetchResult:
        return FetchResult(FetchStatus.OK, body=body, url=url)

    filtered = FeedSpec("NU.nl (crypto)", "https://www.nu.nl/rss/Algemeen", "nl", None, True)
    plain = FeedSpec("NU.nl (all)", "https://www.nu.nl/rss/Algemeen?all", "nl")
    report = await ingest(services, feeds=[filtered, plain], fetcher=fetch, now=NOW)
    by_name = {r.feed.name: r for r in report.feeds}
    assert (by_name["NU.nl (crypto)"].entries, by_name["NU.nl (crypto)"].new) == (14, 4)
    assert by_name["NU.nl (crypto)"].filtered == 10
    assert (by_name["NU.nl (all)"].new, by_name["NU.nl (all)"].filtered) == (14, 0)
    async with services.db.connection() as conn:
        rows = (
            await conn.execute(
                sa.select(articles.c.title).where(
                    articles.c.feed_id == by_name["NU.nl (crypto)"].feed.id
                )
            )
        ).all()
    assert sorted(r.title for r in rows) == sorted(t for t, _d, _r in CRYPTO_ITEMS)
