"""The CLI reads the default feeds, as outside a server: never a feed a server added."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.cli import main
from bot.config import Settings
from bot.storage import Database
from tests.compose.seed import PHISH, seed_tenants


def test_news_sentiment_and_digest_leave_out_servers_own_feeds(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)

    async def prepare() -> None:
        db = Database.connect(settings.resolved_database_url)
        try:
            await db.migrate()
            await seed_tenants(db, now)  # six server-added feeds with the newest, top story
        finally:
            await db.close()

    asyncio.run(prepare())
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))

    assert main(["news", "--lang", "en"]) == 0
    news = capsys.readouterr().out
    assert "Bitcoin surges past record" in news
    assert main(["sentiment", "--lang", "en"]) == 0
    mood = capsys.readouterr().out
    assert "Articles: 3" in mood
    assert main(["sentiment", "--lang", "en", "--coin", "HBAR"]) == 0
    coin = capsys.readouterr().out
    assert "No scored articles in this period." in coin
    assert main(["digest", "--lang", "en", "--at", now.isoformat()]) == 0
    digest = capsys.readouterr().out
    assert "Ethereum upgrade delayed" in digest
    for text in (news, digest):
        assert PHISH not in text and "HBAR" not in text and "Hedera" not in text
