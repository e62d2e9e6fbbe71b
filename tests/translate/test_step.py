"""The pipeline step: which directions run, the bound per pass, rows and state stored."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bot.config import ConfigError, Settings
from bot.guilds.tables import guild_removals, guild_settings
from bot.news.tables import articles
from bot.storage import Database
from bot.translate.readers import languages_read
from bot.translate.service import Translators
from bot.translate.state import translation_state
from bot.translate.step import TranslationPass, translate_pending
from bot.translate.store import translations_for
from tests.compose.seed import seed_tenants
from tests.translate.stubs import StubTranslator

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def stub_translators(settings: Settings) -> tuple[Translators, dict[str, StubTranslator]]:
    made: dict[str, StubTranslator] = {}

    def factory(source: str, target: str) -> StubTranslator:
        made[target] = StubTranslator(source, target, model=f"stub-{source}-{target}")
        return made[target]

    return Translators(settings, factory), made


async def _set_language(db: Database, guild_id: int, language: str, translate: bool | None) -> None:
    async with db.begin() as conn:
        await conn.execute(
            sa.insert(guild_settings).values(
                guild_id=guild_id, language=language, translate=translate, updated_at=NOW
            )
        )


async def test_languages_read_are_the_default_plus_choices_of_servers_that_translate(
    db: Database,
) -> None:
    assert await languages_read(db, "en") == {"en"}
    await _set_language(db, 1, "nl", False)  # chose Dutch but switched translation off
    assert await languages_read(db, "en") == {"en"}
    await _set_language(db, 2, "nl", None)
    async with db.begin() as conn:
        await conn.execute(
            sa.insert(guild_removals).values(guild_id=2, removed_at=NOW, source="event")
        )
    assert await languages_read(db, "en") == {"en"}  # removed servers do not count
    await _set_language(db, 3, "nl", True)
    assert await languages_read(db, "en") == {"en", "nl"}
    assert await languages_read(db, "nl") == {"nl"}


async def test_only_needed_directions_run_and_rows_are_stored(
    db: Database, settings: Settings
) -> None:
    await seed_tenants(db, NOW)
    translators, made = stub_translators(settings)
    report = await translate_pending(db, translators, default_language="en", limit=50, now=NOW)
    # default en: the Dutch story goes into English; nobody reads Dutch
    assert report.targets == ["en"] and report.translated == 1
    assert made["en"].calls and not made.get("nl", StubTranslator()).calls
    async with db.connection() as conn:
        ids = dict((await conn.execute(sa.select(articles.c.title, articles.c.id))).all())
    nl_id = ids["Bitcoin stijgt naar recordhoogte"]
    rows = await translations_for(db, [nl_id], "en")
    assert rows[nl_id].title == "NL Bitcoin stijgt naar recordhoogte"
    assert rows[nl_id].model == "stub-nl-en" and rows[nl_id].status == "ok"
    state = await translation_state(db)
    assert state is not None and state.on and state.models["en"] == "stub-nl-en"
    assert state.reading == ["en"] and state.translated == 1 and state.reason is None
    # nothing new: the next pass stores nothing
    again = await translate_pending(db, translators, default_language="en", limit=50, now=NOW)
    assert again.stored == 0


async def test_the_bound_holds_for_a_whole_pass_newest_first(
    db: Database, settings: Settings
) -> None:
    await seed_tenants(db, NOW)  # 8 English stories, the six hostile ones newest
    translators, made = stub_translators(settings)
    step = TranslationPass(db, translators, default_language="nl", limit=5)
    assert await step() == 5
    assert await step() == 0  # a second publish round in the same pass: bound used up
    # one batch; the five are copies of one hostile story (title and summary the same
    # text), so the model is given that text once and every copy gets its row
    [sent] = made["nl"].calls
    assert len(sent) == 1 and "airdrop" in sent[0]
    assert step.report.per_target == {"nl": 5}
    next_pass = TranslationPass(db, translators, default_language="nl", limit=5)
    assert await next_pass() == 3
    # the Dutch story is never sent to the en->nl model
    assert all("stijgt" not in text for call in made["nl"].calls for text in call)


async def test_a_failing_model_is_logged_and_the_pass_goes_on(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    await seed_tenants(db, NOW)

    def factory(source: str, target: str) -> StubTranslator:
        stub = StubTranslator(source, target)
        stub.translate = lambda texts: (_ for _ in ()).throw(RuntimeError("boom"))  # type: ignore[method-assign]
        return stub

    with caplog.at_level(logging.ERROR):
        report = await translate_pending(
            db, Translators(settings, factory), default_language="nl", limit=5
        )
    assert report.stored == 0 and report.errors == ["nl: RuntimeError: boom"]
    assert "translating into nl failed" in caplog.text


async def test_off_and_missing_models(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture, tmp_path
) -> None:
    await seed_tenants(db, NOW)
    off = settings.model_copy(update={"translation_enabled": "off"})
    report = await translate_pending(db, Translators(off), default_language="nl", limit=5)
    state = await translation_state(db)
    assert report.stored == 0 and state is not None and not state.on
    assert state.reason == "TRANSLATION_ENABLED=off"

    missing = settings.model_copy(
        update={
            "translation_model_en_nl": str(tmp_path / "no-en-nl"),
            "translation_model_nl_en": str(tmp_path / "no-nl-en"),
        }
    )
    translators = Translators(missing)
    with caplog.at_level(logging.WARNING, logger="bot.translate"):
        for _ in range(3):
            await translate_pending(db, translators, default_language="nl", limit=5)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "en and nl" in warnings[0].getMessage()
    state = await translation_state(db)
    assert state is not None and not state.on and "not downloaded" in (state.reason or "")

    loud = missing.model_copy(update={"translation_enabled": "on"})
    with pytest.raises(ConfigError, match="TRANSLATION_ENABLED=on"):
        await translate_pending(db, Translators(loud), default_language="nl", limit=5)
