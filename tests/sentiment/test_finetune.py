"""`sentiment finetune` end to end: a tiny encoder trained a few steps, loaded in production."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import load_settings
from bot.sentiment.datasets import read_examples
from bot.sentiment.evaluate import DatasetError
from bot.sentiment.factory import load_backend
from bot.sentiment.transformers_backend import TransformersBackend

# Bullish and bearish only: a 16-wide random encoder does not always tell three texts apart
# in a hundred steps, two it does.
ROWS = [
    ("bitcoin rallies to a record high as etf approval nears", "1"),
    ("ether falls after exchange hack, liquidations pile up", "-1"),
]


def test_finetune_output_loads_through_the_production_path(
    tiny_encoder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "train.csv"
    data.write_text(
        "id,headline,label\n" + "".join(f'{n},"{t}",{lab}\n' for n, (t, lab) in enumerate(ROWS)),
        encoding="utf-8",
    )
    words = tmp_path / "train.json"
    words.write_text(
        json.dumps([{"text": "bitcoin koers stijgt na goedkeuring etf", "label": "bullish"}]),
        encoding="utf-8",
    )
    out = tmp_path / "model"
    args = ["sentiment", "finetune", "--base", str(tiny_encoder), "--data", str(data), str(words)]
    args += [
        "--out",
        str(out),
        "--max-steps",
        "100",
        "--batch-size",
        "4",
        "--learning-rate",
        "1e-2",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert f"SENTIMENT_MODEL={out}" in printed
    recipe = json.loads((out / "finetune.json").read_text())
    assert (recipe["examples"], recipe["steps"], recipe["recipe"]["seed"]) == (3, 100, 0)

    # fp32: int8 rounding on a 16-wide random model would blur what the test checks.
    settings = load_settings(
        sentiment_model=str(out), sentiment_backend="transformers", sentiment_quantize=False
    )
    backend = load_backend(settings)
    assert isinstance(backend, TransformersBackend)
    loaded = backend._get(str(out))
    assert loaded.model.config.id2label == {0: "bearish", 1: "neutral", 2: "bullish"}
    results = backend.score_batch([t for t, _ in ROWS], ["en"] * 2)
    # A hundred steps: the model has learnt the texts.
    assert [r.label for r in results] == ["bullish", "bearish"], printed
    assert results[0].score > 0 > results[1].score
    assert all(r.model == str(out) and r.backend == "transformers" for r in results)


def test_finetune_is_reproducible(tiny_encoder: Path, tmp_path: Path) -> None:
    from bot.sentiment.datasets import Example
    from bot.sentiment.finetune import Recipe, finetune

    examples = [Example(t, "bullish" if lab == "1" else "bearish", "en") for t, lab in ROWS]
    recipe = Recipe(max_steps=3, batch_size=2, learning_rate=1e-3)
    weights = []
    for name in ("a", "b"):
        finetune(str(tiny_encoder), examples, tmp_path / name, recipe, local_only=True)
        from safetensors.numpy import load_file

        weights.append(load_file(str(tmp_path / name / "model.safetensors"))["classifier.weight"])
    assert (weights[0] == weights[1]).all()


def test_bad_base_and_bad_data_fail_cleanly(
    tiny_encoder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text('{"headline": "bitcoin up", "label": 1}\n', encoding="utf-8")
    assert read_examples(data, language="nl")[0].label == "bullish"
    missing = ["sentiment", "finetune", "--base", str(tmp_path / "none"), "--data", str(data)]
    assert main([*missing, "--out", str(tmp_path / "o")]) == 1
    assert "cannot load base model" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    bad = tmp_path / "bad.json"
    bad.write_text('[{"text": "x", "label": "up"}]', encoding="utf-8")
    with pytest.raises(DatasetError, match="unknown label"):
        read_examples(bad)
    args = ["sentiment", "finetune", "--base", str(tiny_encoder), "--data", str(bad)]
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    assert "unknown label" in capsys.readouterr().err
