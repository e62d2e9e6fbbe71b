"""`news` and `digest` show what a reader of a language sees: translated, labelled or marked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.cli import main
from bot.config import Settings
from bot.storage import Database
from tests.compose.test_localize import BOTH_NL, EN_TITLE, NL_ONLY, NL_TITLE, seed, translate_all


@pytest.fixture
def stored(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime.now(UTC)

    async def prepare() -> None:
        db = Database.connect(settings.resolved_database_url)
        try:
            await db.migrate()
            await translate_all(db, await seed(db, now), now)
        finally:
            await db.close()

    asyncio.run(prepare())
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))


@pytest.mark.usefixtures("stored")
def test_news_reader_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["news", "--reader", "nl"]) == 0
    nl = capsys.readouterr().out
    assert NL_TITLE in nl and "🌐 Automatisch vertaald uit het Engels" in nl
    assert BOTH_NL in nl and EN_TITLE not in nl
    assert main(["news", "--reader", "nl", "--no-translate"]) == 0
    off = capsys.readouterr().out
    assert EN_TITLE in off and "🌐 Engelstalig" in off and NL_TITLE not in off
    assert main(["news", "--reader", "en"]) == 0
    en = capsys.readouterr().out
    assert "DNB warns on crypto loans" in en and "Machine-translated from Dutch" in en
    # The older --lang still filters the sources too: Dutch articles only, in Dutch.
    assert main(["news", "--lang", "nl"]) == 0
    only = capsys.readouterr().out
    assert NL_ONLY in only and NL_TITLE not in only and EN_TITLE not in only


@pytest.mark.usefixtures("stored")
def test_digest_preview_reader_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["digest", "preview", "--reader", "en"]) == 0
    en = capsys.readouterr().out
    assert "DNB warns on crypto loans" in en and "Machine-translated from Dutch" in en
    assert main(["digest", "--lang", "nl", "--no-translate"]) == 0
    off = capsys.readouterr().out
    assert EN_TITLE in off and "Engelstalig" in off and "Cryptoverzicht" in off
