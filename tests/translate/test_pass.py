"""A whole pipeline pass with translation: the step runs after scoring and is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import load_settings
from bot.runtime.health import gather_status, last_pipeline_run
from bot.runtime.jobs import pipeline_pass
from bot.runtime.services import open_services
from bot.translate.tables import article_translations
from tests.discord.conftest import EN_ITEMS, FeedServer
from tests.harness import write_feeds_file


@pytest.mark.parametrize("engine", ["ctranslate2", "torch"])
async def test_a_pass_translates_for_dutch_readers_and_records_it(
    tmp_path: Path,
    feed_server: FeedServer,
    tiny_marian: Path,
    no_network: list[str],
    engine: str,
) -> None:
    feeds_file = write_feeds_file(
        tmp_path / "feeds.toml",
        [("EN", feed_server.url("en.rss"), "en"), ("NL", feed_server.url("nl.rss"), "nl")],
    )
    settings = load_settings(
        data_dir=tmp_path / "data",
        feeds_file=feeds_file,
        feeds_allow_private=True,
        sentiment_backend="lexicon",
        default_language="nl",  # every server reads Dutch: only en->nl runs
        translation_model_en_nl=str(tiny_marian),
        translation_model_nl_en=str(tmp_path / "not-downloaded"),
        translation_per_pass=2,
        translation_engine=engine,
        hf_cache_dir=tmp_path / "hf",  # where the CTranslate2 conversion goes
    )
    async with open_services(settings) as services:
        report = await pipeline_pass(services)
        run = await last_pipeline_run(services.db)
        async with services.db.connection() as conn:
            rows = (
                await conn.execute(
                    sa.select(article_translations.c.target_lang, article_translations.c.status)
                )
            ).all()
        status = await gather_status(services.db, shard_count=1, now=run.finished_at)  # type: ignore[union-attr]
    assert len(EN_ITEMS) > 2 and len(rows) == 2  # bounded per pass
    assert {r.target_lang for r in rows} == {"nl"}
    assert run is not None and run.ok and run.translated == report.translated
    state = status.translation
    assert state is not None and state.on and state.reading == ["nl"]
    assert ("@ct2-" in state.models["nl"]) == (engine == "ctranslate2")
    assert "not downloaded" in state.off["en"] and state.translated + state.fallbacks == 2
    assert no_network == []  # only the loopback feed server was reached
