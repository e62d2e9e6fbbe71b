"""The fp16 word-embedding table (bot/sentiment/compact.py) through the production loaders."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from bot.sentiment import compact
from bot.sentiment.compact import half_embeddings, int8_embeddings, release_pages
from bot.sentiment.e5_backend import load_encoder
from bot.sentiment.transformers_backend import TransformersBackend, load_model
from bot.utils.heap import trim_heap
from tests.sentiment.conftest import SENTENCES

TEXTS = [*SENTENCES, "bitcoin", "etf etf etf hack koers daalt stijgt " * 3]


def test_fp16_table_keeps_the_embeddings_of_fp32(tiny_encoder: Path) -> None:
    import torch

    full = load_encoder(str(tiny_encoder), fp16_embeddings=False)
    half = load_encoder(str(tiny_encoder))
    table = half.model.get_input_embeddings().weight
    assert table.dtype == torch.float16
    assert full.model.get_input_embeddings().weight.dtype == torch.float32
    assert half.model.dtype == torch.float32  # the encoder itself still computes in fp32
    a, b = full.embed(TEXTS, batch_size=3), half.embed(TEXTS, batch_size=3)
    assert b.dtype == np.float32
    cosines = (a * b).sum(axis=1)
    assert cosines.min() >= 0.9999
    assert not np.array_equal(a, b)  # the table really is rounded


def test_every_row_is_converted_chunk_by_chunk(
    tiny_encoder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(tiny_encoder), local_files_only=True)
    source = model.get_input_embeddings().weight.detach().clone()
    monkeypatch.setattr(compact, "_CHUNK_BYTES", 7 * 16 * 4)  # 7 rows a step, a ragged end
    saved = half_embeddings(model)
    assert saved == source.numel() * 2
    assert torch.equal(model.get_input_embeddings().weight, source.half())
    ids = torch.tensor([[0, 5, source.shape[0] - 1]])
    rows = model.get_input_embeddings()(ids)
    assert rows.dtype == torch.float32
    assert torch.equal(rows, source.half().float()[ids])


def test_a_table_fp16_cannot_hold_stays_fp32(tiny_encoder: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(tiny_encoder), local_files_only=True)
    with torch.no_grad():
        model.get_input_embeddings().weight[3, 0] = 1e6
    assert half_embeddings(model) == 0
    assert model.get_input_embeddings().weight.dtype == torch.float32


def test_a_table_tied_to_an_output_layer_is_left_alone() -> None:
    import torch
    from transformers import BertConfig, BertForMaskedLM

    config = BertConfig(
        vocab_size=50,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        tie_word_embeddings=True,
    )
    model = BertForMaskedLM(config)
    assert half_embeddings(model) == 0
    assert model.get_input_embeddings().weight.dtype == torch.float32


def test_classifier_scores_match_fp32(positive_model: Path, one_star_model: Path) -> None:
    import torch

    for path in (positive_model, one_star_model):
        assert load_model(str(path)).model.get_input_embeddings().weight.dtype == torch.float16
        half = TransformersBackend(str(path), batch_size=2)
        full = TransformersBackend(str(path), batch_size=2)
        full._loaded[str(path)] = load_model(str(path), fp16_embeddings=False)
        langs = ["en"] * len(TEXTS)
        scores = zip(half.score_batch(TEXTS, langs), full.score_batch(TEXTS, langs), strict=True)
        for a, b in scores:
            assert a.label == b.label
            assert a.score == pytest.approx(b.score, abs=1e-3)


@pytest.mark.skipif(sys.platform != "linux", reason="madvise is Linux-only (a no-op elsewhere)")
def test_released_pages_of_a_mapped_weights_file_read_back_the_same(tiny_encoder: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(tiny_encoder), local_files_only=True)
    weights = [p.detach() for p in model.parameters()]
    before = [w.clone() for w in weights]
    for w in weights:
        release_pages(w.data_ptr(), w.numel() * w.element_size())
    assert all(torch.equal(w, b) for w, b in zip(weights, before, strict=True))
    trim_heap()  # returns freed heap; must not disturb live objects either
    assert all(torch.equal(w, b) for w, b in zip(weights, before, strict=True))


@pytest.mark.skipif(sys.platform != "linux", reason="/proc/self/maps is Linux-only")
def test_only_pages_of_a_mapped_file_are_released(tiny_encoder: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(tiny_encoder), local_files_only=True)
    mapped = model.get_input_embeddings().weight
    heap = torch.zeros(1 << 20)
    spans = compact._file_mappings()

    def in_a_file(t: torch.Tensor) -> bool:
        return any(low <= t.data_ptr() < high for low, high in spans)

    assert in_a_file(mapped)  # safetensors are memory-mapped, not copied
    assert not in_a_file(heap)


def test_long_texts_go_in_smaller_batches_and_none_is_lost() -> None:
    texts = ["x" * n for n in [10] * 20 + [900] * 9 + [3000, 5000]]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    batches = compact.length_batches(order, texts, 8)
    assert [i for batch in batches for i in batch] == order  # each once, in order
    assert [len(b) for b in batches[:2]] == [8, 8]  # short texts: full batches
    for batch in batches:
        assert 1 <= len(batch) <= 8
        padded = len(batch) * max(len(texts[i]) for i in batch)
        assert padded <= 8 * compact.ROW_CHARS or len(batch) == 1
    assert batches[-1] == [order[-1]]  # the longest alone
    assert compact.length_batches([], [], 8) == []


def test_bounded_batches_give_the_embeddings_of_one_by_one(tiny_encoder: Path) -> None:
    encoder = load_encoder(str(tiny_encoder))
    texts = [*TEXTS, ("bitcoin koers stijgt " * 30).strip()]
    together = encoder.embed(texts, batch_size=16)
    alone = np.vstack([encoder.embed([t], batch_size=1) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_int8_table_rows_are_within_half_a_step_of_fp32(
    tiny_encoder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(tiny_encoder), local_files_only=True)
    source = model.get_input_embeddings().weight.detach().clone()
    with torch.no_grad():  # a zero row must not divide by zero
        model.get_input_embeddings().weight[4].zero_()
        source[4].zero_()
    monkeypatch.setattr(compact, "_CHUNK_BYTES", 7 * 16 * 4)  # 7 rows a step, a ragged end
    saved = int8_embeddings(model)
    assert saved == source.numel() * 3 - source.shape[0] * 4
    embedding = model.get_input_embeddings()
    assert embedding.weight.dtype == torch.int8 and embedding.scale.dtype == torch.float32
    assert int(embedding.weight.abs().amax(dim=1).min()) in (0, 127)  # each row uses the range
    ids = torch.arange(source.shape[0]).unsqueeze(0)
    rows = embedding(ids)[0]
    assert rows.dtype == torch.float32
    step = source.abs().amax(dim=1, keepdim=True) / 127
    assert bool(((rows - source).abs() <= step / 2 + 1e-7).all())
    assert not torch.equal(rows, source)  # really rounded
    assert torch.equal(rows[4], torch.zeros_like(rows[4]))


def test_int8_table_keeps_the_embeddings_of_fp32(tiny_encoder: Path) -> None:
    full = load_encoder(str(tiny_encoder), fp16_embeddings=False)
    small = load_encoder(str(tiny_encoder), int8_table=True)
    assert type(small.model.get_input_embeddings()).__name__ == "Int8Embedding"
    a, b = full.embed(TEXTS, batch_size=3), small.embed(TEXTS, batch_size=3)
    assert (a * b).sum(axis=1).min() >= 0.999
