"""The plain-torch BERT encoder (bot/sentiment/bert_encoder.py) against the path before it
(AutoModel + compact.int8_embeddings): the same embeddings, labels and scores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.sentiment.bert_encoder import load_plain_bert, plain_bert_folder
from bot.sentiment.e5_backend import E5Backend, load_encoder
from bot.sentiment.e5_head import HEAD_FORMAT, LEXICON_FEATURES, Head
from tests.sentiment.xlmr_folder import TRAINING, build_xlmr_folder

TEXTS = [
    *TRAINING,
    "",
    "x",
    "Bitcoin " * 40,  # cut at the model's 32 positions
    "ETH/BTC 0.05; SOL +12%, ADA -3% <s> </s> <mask>",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from safetensors.torch import load_file, save_file

    path = build_xlmr_folder(tmp_path_factory.mktemp("plain"))
    # Random LayerNorm and bias values too (a fresh BertModel has 1s and 0s): every weight
    # must land where BertModel reads it.
    weights = load_file(path / "model.safetensors")
    generator = torch.Generator().manual_seed(1)
    for name, tensor in weights.items():
        if "LayerNorm" in name or name.endswith("bias"):
            weights[name] = tensor + 0.1 * torch.randn(tensor.shape, generator=generator)
    save_file(weights, path / "model.safetensors", metadata={"format": "pt"})
    config = json.loads((path / "config.json").read_text())
    assert config["num_hidden_layers"] >= 1
    return path


def test_hidden_states_equal_bertmodel(folder: Path) -> None:
    before = load_encoder(str(folder), int8_table=True)
    after = load_encoder(str(folder), int8_table=True, plain=True)
    assert type(before.model).__name__ == "BertModel"
    assert type(after.model).__name__ == "PlainBert"
    assert (after.max_length, after.hidden_size) == (before.max_length, before.hidden_size)
    a, b = before.embed(TEXTS, 5), after.embed(TEXTS, 5)
    assert np.abs(a - b).max() < 1e-5
    # The int8 table itself is the same numbers as compact.int8_embeddings gives.
    old, new = before.model.get_input_embeddings(), after.model.words
    assert np.array_equal(old.weight.numpy(), new.weight.numpy())
    assert np.allclose(old.scale.numpy(), new.scale.numpy(), rtol=1e-6, atol=0)


def test_backend_labels_and_scores_unchanged(folder: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)  # a head with weights large enough to move the labels
    width = 16 + LEXICON_FEATURES
    head = Head(
        rng.normal(0, 20, (3, width)).astype(np.float32),
        np.zeros(3, np.float32),
        np.zeros(width, np.float32),
        np.ones(width, np.float32),
        {"format": HEAD_FORMAT, "hidden_size": 16, "prefix": "query: "},
    )
    head.save(tmp_path / "head.npz")
    languages = ["en", "nl"] * (len(TEXTS) // 2)
    before = E5Backend(str(folder), head_path=tmp_path / "head.npz", plain=False)
    after_backend = E5Backend(str(folder), head_path=tmp_path / "head.npz")  # default: plain
    before = before.score_batch(TEXTS, languages)
    after = after_backend.score_batch(TEXTS, languages)
    assert type(after_backend._get()[0].model).__name__ == "PlainBert"
    assert [s.label for s in after] == [s.label for s in before]
    assert len({s.label for s in after}) > 1  # the comparison means something
    assert max(abs(x.score - y.score) for x, y in zip(after, before, strict=True)) < 1e-5
    assert max(abs(x.confidence - y.confidence) for x, y in zip(after, before, strict=True)) < 1e-5


def test_other_folders_load_through_transformers(folder: Path, tmp_path: Path) -> None:
    config = json.loads((folder / "config.json").read_text())
    for change in ({"model_type": "xlm-roberta"}, {"hidden_act": "relu"}, {"is_decoder": True}):
        other = tmp_path / next(iter(change.values())).__str__()
        other.mkdir()
        for item in folder.iterdir():
            (other / item.name).symlink_to(item)
        (other / "config.json").unlink()
        (other / "config.json").write_text(json.dumps({**config, **change}))
        assert plain_bert_folder(other) is None
    assert plain_bert_folder(folder) is not None
    # fp16 table, int8 layers or no sentencepiece file: AutoModel, as before.
    assert type(load_encoder(str(folder), plain=True).model).__name__ == "BertModel"
    quantized = load_encoder(str(folder), int8_table=True, plain=True, quantized=True)
    assert type(quantized.model).__name__ != "PlainBert"


def test_weights_that_do_not_fit_are_refused(folder: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    weights = load_file(folder / "model.safetensors")
    del weights["encoder.layer.0.output.dense.bias"]
    broken = tmp_path / "broken"
    broken.mkdir()
    for item in folder.iterdir():
        if item.name != "model.safetensors":
            (broken / item.name).symlink_to(item)
    save_file(weights, broken / "model.safetensors")
    config = plain_bert_folder(broken)
    assert config is not None
    with pytest.raises(KeyError):
        load_plain_bert(broken, config)
    # The backend falls back to transformers, which loads what it can.
    encoder = load_encoder(str(broken), int8_table=True, plain=True)
    assert type(encoder.model).__name__ == "BertModel"


def test_layers_run_a_bounded_number_of_tokens_at_once(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline's peak memory (issue 15): a batch goes through the layers a few whole
    sequences at a time, at most STEP_TOKENS padded tokens (one sequence when longer), with
    the same hidden states as the whole batch at once."""
    import torch

    import bot.sentiment.bert_encoder as bert_encoder

    encoder = load_encoder(str(folder), int8_table=True, plain=True)
    model = encoder.model
    batch = encoder.tokenizer(
        TEXTS, padding=True, truncation=True, max_length=encoder.max_length, return_tensors="pt"
    )
    batch.pop("token_type_ids", None)
    length = batch["input_ids"].shape[1]
    with torch.inference_mode():
        whole = model(**batch).last_hidden_state
    shapes: list[tuple[int, int]] = []
    encode = model.encode

    def spy(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        shapes.append(tuple(input_ids.shape))
        return encode(input_ids, attention_mask)

    monkeypatch.setattr(model, "encode", spy)
    for step, most in [(3 * length, 3), (length + 1, 1), (1, 1)]:
        monkeypatch.setattr(bert_encoder, "STEP_TOKENS", step)
        shapes.clear()
        with torch.inference_mode():
            grouped = model(**batch).last_hidden_state
        assert [rows for rows, _ in shapes] == [
            min(most, len(TEXTS) - start) for start in range(0, len(TEXTS), most)
        ]
        assert all(n == length for _, n in shapes)  # the batch's padding: nothing re-padded
        assert torch.allclose(grouped, whole, atol=1e-6, rtol=0)
