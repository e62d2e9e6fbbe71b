"""The real loading and generate path, on a tiny Marian model built offline (conftest.py):
the torch engine, and the pipeline step on both engines (test_ct2.py: CTranslate2 itself)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.storage import Database
from bot.translate.engine import translate_articles
from bot.translate.marian import MarianTranslator, TranslatorLoadError, new_tokens_for
from bot.translate.service import Translators
from bot.translate.state import translation_state
from bot.translate.step import translate_pending
from bot.translate.store import PendingArticle, translations_for
from tests.compose.seed import seed_tenants


def test_loads_offline_quantised_and_generates_one_output_per_input(
    tiny_marian: Path, no_network: list[str]
) -> None:
    import torch

    translator = MarianTranslator(str(tiny_marian), "en", "nl", beams=2, batch_size=2)
    assert not translator.loaded
    texts = ["Bitcoin rallies to a record high.", "Markets are calm.", "ETF " * 200, "Ja."]
    out = translator.translate(texts)
    assert translator.loaded and len(out) == 4
    assert all(isinstance(g.text, str) and isinstance(g.unknown, bool) for g in out)
    model = translator._loaded.model  # type: ignore[union-attr]
    assert type(model).__name__ == "MarianMTModel"
    assert any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in model.modules())
    assert translator.model == f"{tiny_marian}@int8-b2"
    assert no_network == []


def test_fp32_and_greedy_are_part_of_the_stored_model_name(tiny_marian: Path) -> None:
    translator = MarianTranslator(str(tiny_marian), "en", "nl", quantized=False)
    assert translator.model.endswith("@fp32-b1")
    [story] = translate_articles(
        translator, [PendingArticle(1, "en", "Bitcoin Rallies To A Record", "Markets are calm.")]
    )
    # random weights: the text is noise, so the checks decide; either way a valid row
    assert story.status in {"ok", "fallback"} and story.model == translator.model
    if story.status == "fallback":
        assert story.title == "Bitcoin Rallies To A Record" and story.problems


def test_output_length_is_capped_by_input_and_positions() -> None:
    assert new_tokens_for(10) == 25
    assert new_tokens_for(1000) == 256
    assert new_tokens_for(100, positions=64) == 63


def test_a_hub_id_that_is_not_cached_fails_at_once_without_the_network(
    no_network: list[str], tmp_path: Path
) -> None:
    translator = MarianTranslator("Helsinki-NLP/opus-mt-en-nl", "en", "nl", cache_dir=tmp_path)
    with pytest.raises(TranslatorLoadError, match="opus-mt-en-nl"):
        translator.load()
    assert no_network == []


@pytest.mark.parametrize(
    ("engine", "suffix"), [("torch", "@int8-b1"), ("ctranslate2", "@ct2-int8-b1")]
)
async def test_the_pipeline_step_through_the_real_model(
    db: Database,
    settings: Settings,
    tiny_marian: Path,
    no_network: list[str],
    tmp_path: Path,
    engine: str,
    suffix: str,
) -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    await seed_tenants(db, now)
    both = settings.model_copy(
        update={
            "translation_engine": engine,
            "translation_model_en_nl": str(tiny_marian),
            "translation_model_nl_en": str(tiny_marian),
            "hf_cache_dir": tmp_path / "hf",  # where the CTranslate2 conversion goes
        }
    )
    report = await translate_pending(db, Translators(both), default_language="nl", limit=3, now=now)
    assert report.stored == 3 and report.targets == ["nl"]
    state = await translation_state(db)
    assert state is not None and state.on and state.models["nl"] == f"{tiny_marian}{suffix}"
    async with db.connection() as conn:
        import sqlalchemy as sa

        from bot.translate.tables import article_translations as t

        rows = (await conn.execute(sa.select(t.c.article_id, t.c.status))).all()
    assert len(rows) == 3 and {r.status for r in rows} <= {"ok", "fallback"}
    got = await translations_for(db, [r.article_id for r in rows], "nl")
    assert set(got) == {r.article_id for r in rows}
    assert no_network == []
