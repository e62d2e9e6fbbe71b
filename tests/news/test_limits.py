"""Feed text is bounded and cleaned before it is stored (bot/text_limits.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import load_settings
from bot.errors import BadInput
from bot.guilds.feeds import add_guild_feed, list_guild_feeds
from bot.news.clean import canonical_link, clean_text, clean_title
from bot.news.feeds import FeedSpec, sync_feeds
from bot.news.fetch import Conditional, FetchResult, FetchStatus
from bot.news.normalize import normalize_entries
from bot.news.parse import RawEntry
from bot.news.pipeline import ingest
from bot.news.state import FeedState, load_states, save_state
from bot.news.tables import articles, feeds, stories
from bot.news.validate import check_feed_url
from bot.runtime.services import Services, open_services
from bot.storage import Database
from bot.text_limits import (
    FEED_NAME_CHARS,
    LINK_CHARS,
    SUMMARY_CHARS,
    TITLE_CHARS,
    clip,
    display_text,
    strip_invisible,
)
from bot.utils.http.feed_client import make_feed_client
from tests.news.conftest import FaultServer

NOW = datetime(2025, 12, 13, 8, tzinfo=UTC)
# Bidi overrides and isolates, zero-width characters, C0/C1 controls.
HIDDEN = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\ufeff\u2060"
CONTROLS = "\x00\x01\x07\x1b\x7f\x80\x9b"


def _rss(channel_title: str, items: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>{channel_title}</title><link>https://big.example/</link>{items}</channel></rss>"
    ).encode()


def _item(title: str, summary: str, link: str = "https://big.example/a") -> str:
    return (
        f"<item><guid>{link}</guid><link>{link}</link><title>{title}</title>"
        f"<description>{summary}</description>"
        "<pubDate>Sat, 13 Dec 2025 07:00:00 +0000</pubDate></item>"
    )


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with open_services(load_settings(data_dir=tmp_path / "data")) as svc:
        yield svc


def test_clip_cuts_at_a_word_with_an_ellipsis() -> None:
    text = "Bitcoin " * 100
    cut = clip(text, 50)
    assert len(cut) <= 50 and cut.endswith("Bitcoin…")
    assert clip("short", 50) == "short"
    assert len(clip("x" * 5000, 300)) == 300  # no space at all: cut anyway
    assert display_text("  a\n\tb   c  ", 100) == "a b c"


def test_hidden_and_control_characters_are_stripped() -> None:
    spoof = f"Bit{HIDDEN}coin{CONTROLS} ETF\u202e approved\u2069"
    assert strip_invisible(spoof) == "Bitcoin ETF approved"
    assert clean_title(spoof) == "Bitcoin ETF approved"
    # Spelled as entities (decoded before stripping), and line breaks become spaces.
    assert clean_title("&#x202E;Bitcoin&#8203;&#x200d;\nETF&#xFEFF;") == "Bitcoin ETF"
    assert clean_text(f"<p>Ether{HIDDEN}</p><p>rallies{CONTROLS}</p>") == "Ether rallies"
    assert display_text(f"\u202eCoin{HIDDEN}Desk\x00 feed", 100) == "CoinDesk feed"


def test_links_keep_no_hidden_characters() -> None:
    assert canonical_link("https://x.example/a\u202eb\n") == "https://x.example/a%E2%80%AEb"
    assert canonical_link("https://x.example/\u200bnews") == "https://x.example/%E2%80%8Bnews"


def test_normalised_articles_are_within_the_limits() -> None:
    long_link = "https://x.example/" + "a" * LINK_CHARS
    entries = [
        RawEntry("g1", "https://x.example/1", "word " * 2000, "Sentence. " * 500, None),
        RawEntry("g2", long_link, "A fine title", "", None),  # link too long: skipped
        RawEntry("g" * 3000, "https://x.example/3", f"Ti{HIDDEN}tle", f"Sum{CONTROLS}", None),
        # 1,018 characters but 3,018 bytes: too big a key for a PostgreSQL index.
        RawEntry("g4", "https://x.example/" + "链" * 1000, "Another title", "", None),
        RawEntry("标" * 1000, "https://x.example/5", "Fifth title", "", None),
    ]
    out = normalize_entries(entries, source="S" * 500, declared_language="en", now=NOW)
    assert [a.link for a in out] == [
        "https://x.example/1",
        "https://x.example/3",
        "https://x.example/5",
    ]
    first, third, fifth = out
    assert fifth.guid == fifth.link
    assert len(first.title) <= TITLE_CHARS and first.title.endswith("…")
    assert len(first.summary) <= SUMMARY_CHARS
    assert all(len(a.source) <= FEED_NAME_CHARS for a in out)
    assert third.guid == third.link  # a GUID too long to be a key: the link instead
    assert (third.title, third.summary) == ("Title", "Sum")


async def test_feed_names_are_clipped_and_cleaned_where_stored(db: Database) -> None:
    name = f"\u202eEvil{HIDDEN}\x00 " + "name " * 1_000_000
    [synced] = await sync_feeds(db, [FeedSpec(name, "https://c.example/feed", "en")], now=NOW)
    assert synced.name.startswith("Evil name name") and len(synced.name) <= FEED_NAME_CHARS
    added = await add_guild_feed(
        db,
        1,
        url="https://d.example/feed",
        name=name,
        language="en",
        added_by=1,
        limit=3,
        now=NOW,
    )
    stored = {f.url: f.name for f in await list_guild_feeds(db, 1)}
    assert stored["https://d.example/feed"] == added.name == synced.name
    # Nothing left of the title: the address names the feed.
    blank = await add_guild_feed(
        db,
        1,
        url="https://e.example/feed",
        name=HIDDEN,
        language="en",
        added_by=1,
        limit=3,
        now=NOW,
    )
    assert blank.name == "https://e.example/feed"
    with pytest.raises(BadInput, match="too long"):
        await add_guild_feed(
            db,
            1,
            url="https://f.example/" + "a" * LINK_CHARS,
            name="F",
            language="en",
            added_by=1,
            limit=3,
            now=NOW,
        )


async def test_oversized_feed_text_is_stored_clipped(
    services: Services, fault_server: FaultServer
) -> None:
    """The attack: a 4.9 MB feed title becomes the feed's name (copied into every article),
    items with a 4.9 MB title and a 1 MB summary. Stored: the limits, no more."""
    huge = "moon " * 980_000  # 4.9 MB
    fault_server.documents["big.rss"] = _rss(huge, _item("title", "summary"))
    async with make_feed_client(load_settings(feeds_allow_private=True)) as http:
        check = await check_feed_url(
            http, fault_server.url("/feed/big.rss"), max_bytes=20_000_000, allow_private=True
        )
    assert len(check.title) > 4_000_000  # validation reads it all; storing must not
    feed = await add_guild_feed(
        services.db,
        1,
        url=check.url,
        name=check.title,
        language="en",
        added_by=1,
        limit=3,
        now=NOW,
    )
    assert len(feed.name) <= FEED_NAME_CHARS

    # Within what the parse guard lets through (8 MB, about a second to parse): 1 MB titles.
    big = "moon " * 200_000
    items = "".join(
        _item(f"{n} " + big, "Ether " + "x" * 300_000, f"https://big.example/{n}") for n in range(3)
    )
    document = _rss(big, items)

    async def fetch(url: str, conditional: Conditional) -> FetchResult:
        if url == check.url:
            return FetchResult(FetchStatus.OK, body=document, url=url)
        return FetchResult(FetchStatus.GONE, url=url, error="offline")

    report = await ingest(services, fetcher=fetch, now=NOW)  # the configured feeds + this one
    assert sum(r.new for r in report.feeds) == 3
    async with services.db.connection() as conn:
        rows = (await conn.execute(sa.select(articles))).all()
        names = (await conn.execute(sa.select(feeds.c.name))).scalars().all()
        titles = (await conn.execute(sa.select(stories.c.title))).scalars().all()
    assert len(rows) == 3
    for row in rows:
        assert len(row.title) <= TITLE_CHARS and row.title.endswith("…")
        assert len(row.summary) <= SUMMARY_CHARS
        assert row.source == feed.name
    assert all(len(n) <= FEED_NAME_CHARS for n in names)
    assert all(len(t) <= TITLE_CHARS for t in titles)
    stored = sum(len(r.title) + len(r.summary) + len(r.source) + len(r.guid) for r in rows)
    assert stored < 3 * (TITLE_CHARS + SUMMARY_CHARS + FEED_NAME_CHARS + 100)


async def test_articles_are_stored_without_hidden_characters(services: Services) -> None:
    # (C1 controls in a document come out of feedparser as the cp1252 characters, as in HTML.)
    c0 = "\x01\x07\x1b\x7f"
    title = f"&#x202E;Bit{HIDDEN}coin{c0} tops $100k"
    document = _rss(f"Feed{HIDDEN}", _item(title, f"Ether{HIDDEN} rallies{c0}."))

    async def fetch(url: str, conditional: Conditional) -> FetchResult:
        return FetchResult(FetchStatus.OK, body=document, url=url)

    spec = FeedSpec(f"\u202eHidden{HIDDEN} feed", "https://hidden.example/feed", "en")
    await ingest(services, feeds=[spec], fetcher=fetch, now=NOW)
    async with services.db.connection() as conn:
        row = (await conn.execute(sa.select(articles))).one()
    assert (row.title, row.summary, row.source) == (
        "Bitcoin tops $100k",
        "Ether rallies.",
        "Hidden feed",
    )


async def test_fetch_state_from_the_server_is_bounded(db: Database) -> None:
    [feed] = await sync_feeds(db, [FeedSpec("F", "https://f.example/feed", "en")], now=NOW)
    state = FeedState(feed.id, etag="e" * 100_000, last_modified="m", last_error="x " * 100_000)
    await save_state(db, state)
    stored = (await load_states(db, [feed.id]))[feed.id]
    assert stored.etag is None and stored.last_modified == "m"
    assert stored.last_error is not None and len(stored.last_error) <= 300
