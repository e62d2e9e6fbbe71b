"""The transformers path, for real: tiny saved models loaded through the production code."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from bot.sentiment import transformers_backend as tb
from bot.sentiment.factory import load_backend
from bot.sentiment.offline_model import OfflineBackend
from bot.sentiment.transformers_backend import ModelLoadError, TransformersBackend


def test_scores_through_saved_model(positive_model: Path) -> None:
    backend = TransformersBackend(str(positive_model), batch_size=2)
    results = backend.score_batch(["bitcoin rallies", "ether falls", "markets calm"], ["en"] * 3)
    assert [r.label for r in results] == ["bullish"] * 3
    for r in results:
        assert r.backend == "transformers"
        assert r.model == str(positive_model)
        assert 0.9 < r.score <= 1.0
        assert 0.9 < r.confidence <= 1.0


def test_long_text_is_truncated_to_model_length(positive_model: Path) -> None:
    backend = TransformersBackend(str(positive_model))
    backend.load()
    assert backend._loaded[str(positive_model)].max_length == 32
    long_text = " ".join(["bitcoin rallies to a record high"] * 100)
    [result] = backend.score_batch([long_text], ["en"])
    assert result.label == "bullish"


def test_empty_text_is_neutral_without_inference(positive_model: Path) -> None:
    backend = TransformersBackend(str(positive_model))
    results = backend.score_batch(["", "   ", "bitcoin"], ["en", "nl", "en"])
    assert [r.label for r in results] == ["neutral", "neutral", "bullish"]
    assert results[0].confidence == 0.0


def test_dutch_override_uses_its_own_model(positive_model: Path, one_star_model: Path) -> None:
    backend = TransformersBackend(str(positive_model), model_nl=str(one_star_model), batch_size=3)
    texts = ["koers daalt", "bitcoin rallies", "een langere nederlandse zin", "ether"]
    results = backend.score_batch(texts, ["nl", "en", "nl", "en"])
    assert [r.label for r in results] == ["bearish", "bullish", "bearish", "bullish"]
    assert [r.model for r in results] == [str(one_star_model), str(positive_model)] * 2
    assert results[0].score < -0.8  # mostly "1 star"
    assert str(one_star_model) in backend.model and backend.model.startswith(str(positive_model))


def test_model_loads_once_across_threads(
    positive_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = tb.load_model

    def counting(model_id: str, cache_dir: Path | None = None, **kw: bool) -> tb._Loaded:
        calls.append(model_id)
        return real(model_id, cache_dir, **kw)

    monkeypatch.setattr(tb, "load_model", counting)
    backend = TransformersBackend(str(positive_model))
    assert calls == []  # lazy: nothing loads before first use
    threads = [
        threading.Thread(target=backend.score_batch, args=(["bitcoin"], ["en"])) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [str(positive_model)]


def test_torch_threads_are_set(positive_model: Path) -> None:
    import torch

    TransformersBackend(str(positive_model), threads=1).load()
    assert torch.get_num_threads() == 1


def test_factory_loads_the_configured_model(positive_model: Path) -> None:
    settings = load_settings(sentiment_model=str(positive_model), sentiment_backend="auto")
    backend = load_backend(settings)
    assert backend.name == "transformers"
    assert backend.model == str(positive_model)
    assert backend.score_batch(["bitcoin"], ["en"])[0].label == "bullish"


def test_hub_id_not_in_cache_fails_offline(tmp_path: Path) -> None:
    backend = TransformersBackend("nobody/not-a-real-model", cache_dir=tmp_path)
    with pytest.raises(ModelLoadError, match="nobody/not-a-real-model"):
        backend.load()


@pytest.mark.parametrize("broken", ["missing", "garbage", "labels"])
def test_auto_falls_back_to_the_offline_model_with_one_warning(
    broken: str,
    tmp_path: Path,
    tiny_model_factory: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if broken == "missing":
        model = tmp_path / "nothing-here"
    elif broken == "garbage":
        model = tmp_path / "garbage"
        model.mkdir()
        (model / "config.json").write_text("{not json", encoding="utf-8")
    else:  # a real classifier whose labels are not a sentiment scheme
        model = tiny_model_factory("animals", {0: "cat", 1: "dog"}, [0.0, 1.0])  # type: ignore[operator]
    settings = load_settings(sentiment_model=str(model), sentiment_backend="auto")
    with caplog.at_level(logging.WARNING):
        backend = load_backend(settings)
    assert isinstance(backend, OfflineBackend)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "offline" in warnings[0].getMessage()
    assert "\n" not in warnings[0].getMessage()


def test_transformers_mode_refuses_to_fall_back(tmp_path: Path) -> None:
    settings = load_settings(
        sentiment_model=str(tmp_path / "none"), sentiment_backend="transformers"
    )
    with pytest.raises(ConfigError, match="models download"):
        load_backend(settings)


@pytest.mark.parametrize("mode", ["lexicon", "offline"])
def test_offline_modes_never_load_a_model(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("model loaded")

    monkeypatch.setattr(tb, "load_model", boom)
    backend = load_backend(load_settings(sentiment_backend=mode))
    assert backend.name == mode


def test_quantized_model_scores_the_same_way(one_star_model: Path) -> None:
    import torch

    backend = TransformersBackend(str(one_star_model), quantized=True)
    [result] = backend.score_batch(["koers daalt"], ["nl"])
    assert result.label == "bearish"
    model = backend._loaded[str(one_star_model)].model
    linear_types = {type(m) for m in model.modules() if "Linear" in type(m).__name__}
    assert torch.nn.Linear not in linear_types  # replaced by the int8 dynamic version


@pytest.mark.parametrize(("cpus", "threads"), [(None, 1), (1, 1), (2, 1), (4, 3), (16, 4)])
def test_default_threads_leave_a_core_for_the_bot(
    cpus: int | None, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tb.os, "cpu_count", lambda: cpus)
    assert tb.default_threads() == threads
