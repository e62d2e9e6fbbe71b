from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import ConfigError, load_settings
from bot.news.feeds import DEFAULT_FEEDS, FeedSpec, load_feeds, sync_feeds
from bot.news.tables import feeds
from bot.storage import Database

NOW = datetime(2025, 12, 12, tzinfo=UTC)


def test_defaults_cover_both_languages_with_unique_urls() -> None:
    langs = {f.language for f in DEFAULT_FEEDS}
    assert langs == {"en", "nl"}
    assert len({f.url for f in DEFAULT_FEEDS}) == len(DEFAULT_FEEDS)
    assert all(f.url.startswith("https://") for f in DEFAULT_FEEDS)
    assert load_feeds(load_settings()) == list(DEFAULT_FEEDS)


def test_feeds_file_replaces_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[[feeds]]\nname = "Mine"\nurl = "https://example.org/feed/"\nlanguage = "NL"\n',
        encoding="utf-8",
    )
    assert load_feeds(load_settings(feeds_file=path)) == [
        FeedSpec("Mine", "https://example.org/feed/", "nl")
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[feeds]\nname=", "not valid TOML"),
        ("title = 'x'", "at least one [[feeds]]"),
        ('[[feeds]]\nname = "A"\nlanguage = "en"', "lacks url"),
        ('[[feeds]]\nname = "A"\nurl = "ftp://x"\nlanguage = "en"', "http"),
        ('[[feeds]]\nname = "A"\nurl = "https://x"\nlanguage = "de"', "language"),
    ],
)
def test_invalid_feeds_file_names_the_setting(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_feeds(load_settings(feeds_file=path))
    assert "FEEDS_FILE" in str(err.value) and problem in str(err.value)


def test_missing_feeds_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FEEDS_FILE"):
        load_feeds(load_settings(feeds_file=tmp_path / "absent.toml"))


async def test_sync_disables_dropped_defaults_and_keeps_user_feeds(db: Database) -> None:
    first = [
        FeedSpec("A", "https://a.example/feed", "en"),
        FeedSpec("B", "https://b.example/feed", "nl"),
    ]
    rows = await sync_feeds(db, first, now=NOW)
    assert [r.name for r in rows] == ["A", "B"]
    async with db.begin() as conn:  # a feed a server added itself
        await conn.execute(
            feeds.insert().values(
                url="https://user.example/feed",
                name="U",
                language="en",
                is_default=False,
                enabled=True,
                created_at=NOW,
            )
        )
    again = await sync_feeds(db, [FeedSpec("A2", "https://a.example/feed", "en")], now=NOW)
    assert again[0].id == rows[0].id and again[0].name == "A2"
    async with db.connection() as conn:
        enabled = dict((await conn.execute(sa.select(feeds.c.name, feeds.c.enabled))).all())
    assert enabled == {"A2": True, "B": False, "U": True}
