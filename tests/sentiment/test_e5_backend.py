"""The e5 path for real: a tiny saved encoder, a head trained here, the production loader."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from bot.config import ConfigError, load_settings
from bot.sentiment.datasets import Example
from bot.sentiment.e5_backend import E5Backend, load_encoder
from bot.sentiment.e5_head import (
    HEAD_FORMAT,
    LEXICON_FEATURES,
    HeadError,
    fit,
    load_head,
)
from bot.sentiment.factory import load_backend
from bot.sentiment.head_train import (
    E5_PREFIX,
    build_features,
    cross_validate,
    embed_cached,
    head_meta,
    predict,
)
from bot.sentiment.offline_model import OfflineBackend
from bot.sentiment.routing import LanguageRoutes
from bot.sentiment.transformers_backend import ModelLoadError

TRAIN = [
    Example("bitcoin rallies to a record high as etf approval nears", "bullish", "en"),
    Example("bitcoin koers stijgt na goedkeuring etf", "bullish", "nl"),
    Example("ether falls after exchange hack, liquidations pile up", "bearish", "en"),
    Example("crypto beurs daalt, liquidaties nemen toe", "bearish", "nl"),
    Example("markets are calm ahead of the fed meeting", "neutral", "en"),
]


@pytest.fixture(scope="module")
def trained_head(tiny_encoder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A head fitted (with almost no regularisation) on the tiny encoder's embeddings."""
    encoder = load_encoder(str(tiny_encoder))
    embeddings = encoder.embed([E5_PREFIX + e.text for e in TRAIN])
    features = build_features(embeddings, TRAIN)
    meta = head_meta(str(tiny_encoder), encoder.hidden_size, ["test"]) | {"name": "test-head"}
    head = fit(features.matrix, features.labels, l2=1e-6, steps=600, meta=meta)
    path = tmp_path_factory.mktemp("head") / "test-head.npz"
    head.save(path)
    return path


def test_labels_come_from_the_trained_head(tiny_encoder: Path, trained_head: Path) -> None:
    backend = E5Backend(str(tiny_encoder), head_path=trained_head, batch_size=2)
    results = backend.score_batch([e.text for e in TRAIN], [e.language for e in TRAIN])
    assert [r.label for r in results] == [e.label for e in TRAIN]
    for r in results:
        assert r.backend == "e5"
        assert r.model == f"{tiny_encoder}+test-head"
        assert 0.0 <= r.confidence <= 1.0
    assert results[0].score > 0 > results[2].score


def test_prediction_depends_on_the_head_weights(tiny_encoder: Path, trained_head: Path) -> None:
    """Flip the head's bullish and bearish rows: the same texts come out the other way."""
    head = load_head(trained_head)
    flipped = type(head)(
        head.weight[::-1].copy(), head.bias[::-1].copy(), head.mean, head.scale, head.meta
    )
    path = trained_head.with_name("flipped.npz")
    flipped.save(path)
    backend = E5Backend(str(tiny_encoder), head_path=path)
    [bull, bear] = backend.score_batch([TRAIN[0].text, TRAIN[2].text], ["en", "en"])
    assert (bull.label, bear.label) == ("bearish", "bullish")


def test_empty_text_is_neutral_and_order_is_kept(tiny_encoder: Path, trained_head: Path) -> None:
    backend = E5Backend(str(tiny_encoder), head_path=trained_head)
    results = backend.score_batch(["", TRAIN[2].text, "  ", TRAIN[0].text], ["en"] * 4)
    assert [r.label for r in results] == ["neutral", "bearish", "neutral", "bullish"]
    assert results[0].confidence == 0.0


def test_head_for_another_hidden_size_is_refused(tiny_encoder: Path, tmp_path: Path) -> None:
    width = 384 + LEXICON_FEATURES
    rows = np.zeros((6, width), dtype=np.float32)
    rows[:, 0] = [0, 1, 2, 3, 4, 5]
    meta = {"hidden_size": 384, "encoder": "intfloat/multilingual-e5-small", "name": "wide"}
    fit(rows, ["bullish", "bearish", "neutral"] * 2, meta=meta).save(tmp_path / "wide.npz")
    backend = E5Backend(str(tiny_encoder), head_path=tmp_path / "wide.npz")
    with pytest.raises(ModelLoadError, match=r"expects 384-wide embeddings.*gives 16"):
        backend.load()


def test_malformed_head_files_are_refused(tmp_path: Path, trained_head: Path) -> None:
    with pytest.raises(HeadError, match="cannot read"):
        load_head(tmp_path / "missing.npz")
    good = dict(np.load(trained_head, allow_pickle=False))
    bad_shape = good | {"weight": good["weight"][:, :-1]}
    np.savez(tmp_path / "shape.npz", **bad_shape)
    with pytest.raises(HeadError, match="do not fit"):
        load_head(tmp_path / "shape.npz")
    meta = json.loads(str(good["meta"])) | {"format": "other"}
    np.savez(tmp_path / "format.npz", **(good | {"meta": np.array(json.dumps(meta))}))
    with pytest.raises(HeadError, match="format"):
        load_head(tmp_path / "format.npz")


def test_packaged_head_fits_multilingual_e5_small() -> None:
    head = load_head()
    assert head.meta["format"] == HEAD_FORMAT
    assert head.meta["encoder"] == "intfloat/multilingual-e5-small"
    assert head.hidden_size == 384
    assert head.prefix == "query: "
    assert head.weight.shape == (3, 384 + LEXICON_FEATURES)
    assert "nl_economic_headlines_dev.csv" in head.meta["trained_on"]


def test_embedding_cache_computes_each_text_once(tiny_encoder: Path, tmp_path: Path) -> None:
    encoder = load_encoder(str(tiny_encoder))
    calls: list[int] = []
    real = encoder.embed

    def counting(texts: list[str], batch_size: int = 16) -> np.ndarray:
        calls.append(len(texts))
        return real(texts, batch_size)

    encoder.embed = counting  # type: ignore[method-assign]
    cache = tmp_path / "cache.npz"
    first = embed_cached(encoder, "tiny", ["a b", "bitcoin", "a b"], cache)
    again = embed_cached(encoder, "tiny", ["bitcoin", "ether", "a b"], cache)
    assert calls == [2, 1]
    np.testing.assert_allclose(first[1], again[0])
    np.testing.assert_allclose(first[0], first[2])


def test_cross_validation_predicts_every_row(tiny_encoder: Path) -> None:
    encoder = load_encoder(str(tiny_encoder))
    rows = TRAIN * 4
    features = build_features(encoder.embed([e.text for e in rows]), rows)
    report = cross_validate(features, k=4, l2=1e-4)
    assert report.total == len(rows)
    head = fit(features.matrix, features.labels, l2=1e-4)
    assert predict(head, features.matrix) == features.labels


def test_factory_default_is_e5_with_head(tiny_encoder: Path, trained_head: Path) -> None:
    settings = load_settings(
        sentiment_backend="auto", sentiment_encoder=str(tiny_encoder), sentiment_head=trained_head
    )
    assert settings.sentiment_model == ""
    backend = load_backend(settings)
    assert isinstance(backend, E5Backend)
    assert backend.score_batch([TRAIN[0].text], ["en"])[0].label == "bullish"


def test_dutch_route_goes_to_its_own_model(
    tiny_encoder: Path, trained_head: Path, positive_model: Path
) -> None:
    settings = load_settings(
        sentiment_encoder=str(tiny_encoder),
        sentiment_head=trained_head,
        sentiment_model_nl=str(positive_model),
    )
    backend = load_backend(settings)
    assert isinstance(backend, LanguageRoutes)
    en, nl = backend.score_batch([TRAIN[2].text, TRAIN[3].text], ["en", "nl"])
    assert (en.backend, en.label) == ("e5", "bearish")
    assert (nl.backend, nl.model, nl.label) == ("transformers", str(positive_model), "bullish")
    assert backend.model == f"{tiny_encoder}+test-head nl={positive_model}"


def test_auto_falls_back_without_the_encoder(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(sentiment_backend="auto", sentiment_encoder=str(tmp_path / "none"))
    with caplog.at_level(logging.WARNING):
        backend = load_backend(settings)
    assert isinstance(backend, OfflineBackend)  # the trained offline model
    assert "cannot load encoder" in caplog.text
    forced = settings.model_copy(update={"sentiment_backend": "transformers"})
    with pytest.raises(ConfigError, match="models download"):
        load_backend(forced)
