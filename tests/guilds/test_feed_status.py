"""/feeds list says why a feed's last fetch failed (a refused address included), translated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.discord.embeds.feeds import feeds_embed
from bot.guilds.feed_status import feed_problem
from bot.guilds.feeds import add_guild_feed, list_guild_feeds
from bot.i18n import use_language
from bot.news.state import FeedState, save_state
from bot.storage import Database

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "error", "english", "dutch"),
    [
        ("failing", "private_address", "private network", "privénetwerk"),
        ("failing", "too_deep: nesting 101", "too complex", "te ingewikkeld"),
        ("failing", "unsupported_encoding", "compressed", "gecomprimeerd"),
        ("failing", "http_500", "could not be fetched", "kon niet worden opgehaald"),
        ("blocked", "http_403", "refuses us", "weigert ons"),
        ("gone", "http_410", "gone", "bestaat niet meer"),
        ("ok", "slow: 12.3 s", "less often", "minder vaak"),
    ],
)
def test_each_problem_has_a_sentence_in_both_languages(
    status: str, error: str, english: str, dutch: str
) -> None:
    with use_language("en"):
        assert english in (feed_problem(status, error) or "")
    with use_language("nl"):
        assert dutch in (feed_problem(status, error) or "")


@pytest.mark.parametrize("status", [None, "new", "ok", "not_modified"])
def test_a_healthy_feed_has_no_problem(status: str | None) -> None:
    assert feed_problem(status, None) is None


async def test_feeds_list_shows_a_refused_fetch(db: Database) -> None:
    """A feed accepted once, whose address later turns private: the pass refuses it, and the
    server sees why in /feeds list instead of a silent green tick."""
    feed = await add_guild_feed(
        db, 7, url="https://feeds.example/rss", name="Rebinder", language="en", added_by=1,
        limit=3, now=NOW,
    )  # fmt: skip
    await save_state(
        db, FeedState(feed.id, status="failing", failures=1, last_error="private_address")
    )
    [row] = [f for f in await list_guild_feeds(db, 7) if f.id == feed.id]
    assert (row.status, row.error) == ("failing", "private_address")
    with use_language("nl"):
        embed = feeds_embed([row])
    own = embed.fields[1].value or ""
    assert own.startswith("⚠️") and "Rebinder" in own and "privénetwerk" in own
