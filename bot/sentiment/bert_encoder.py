"""A BERT encoder in plain torch, read straight from `model.safetensors`: the e5 backend's
default path, for the pipeline process's memory (docs/sentiment-models.md, issue 15).

What it saves against AutoModel: importing transformers' modelling stack (it pulls in
torch.distributed, dynamo and fx: about 110 MB resident, and 10 s of a load), and the
whole fp32 word-embedding table (384 MB for multilingual-e5-small) being resident while its
int8 copy is built: rows are read from the file 16 MB at a time and quantised as they come.
The computation is BertModel's (post-LayerNorm layers, exact GELU, scaled dot-product
attention over the unpadded tokens), so the hidden states match it to float rounding
(tests/sentiment/test_bert_encoder.py). Only a plain BertModel folder qualifies
(`plain_bert_folder`); anything else loads through transformers as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bot.sentiment.compact import _CHUNK_BYTES, _int8_embedding_class

WEIGHTS = "model.safetensors"
_PREFIXES = ("", "bert.")
# Padded tokens that go through the layers at once. A whole scoring batch at once was the
# pipeline process's peak (issue 15): 16 texts of ~300 tokens hold 55 MB of feed-forward
# activations per layer and 7 MB per hidden-state tensor, and the freed blocks, handed back
# after each batch (bot.utils.heap.trim_heap), are touched anew by the next one: RSS rose
# 110-140 MB per batch. Each sequence's hidden states depend on that sequence alone, so
# groups of whole sequences give the same result; 512 tokens rise 25-30 MB for e5-small, at
# the same CPU (bench/pass_memory.py, docs/bench-interactions.md).
STEP_TOKENS = 512


def plain_bert_folder(folder: Path) -> dict[str, Any] | None:
    """The folder's config when it is a BertModel this module can run, else None."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (folder / WEIGHTS).is_file() or not isinstance(config, dict):
        return None
    wanted = {
        "model_type": "bert",
        "hidden_act": "gelu",
        "position_embedding_type": "absolute",
        "is_decoder": False,
        "add_cross_attention": False,
    }
    if any(config.get(key, value) != value for key, value in wanted.items()):
        return None
    needed = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")
    if not all(isinstance(config.get(key), int) and config[key] > 0 for key in needed):
        return None
    if config["hidden_size"] % config["num_attention_heads"]:
        return None
    return config


def _module_classes() -> tuple[Any, Any]:
    import torch
    from torch import nn
    from torch.nn import functional

    class Layer(nn.Module):
        def __init__(self, hidden: int, heads: int, inner: int, eps: float) -> None:
            super().__init__()
            self.heads = heads
            self.query = nn.Linear(hidden, hidden)
            self.key = nn.Linear(hidden, hidden)
            self.value = nn.Linear(hidden, hidden)
            self.attention_out = nn.Linear(hidden, hidden)
            self.attention_norm = nn.LayerNorm(hidden, eps=eps)
            self.inner = nn.Linear(hidden, inner)
            self.out = nn.Linear(inner, hidden)
            self.out_norm = nn.LayerNorm(hidden, eps=eps)

        def forward(self, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
            batch, length, hidden = x.shape

            def split(t: torch.Tensor) -> torch.Tensor:
                return t.view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

            context = functional.scaled_dot_product_attention(
                split(self.query(x)), split(self.key(x)), split(self.value(x)), attn_mask=keep
            )
            context = context.transpose(1, 2).reshape(batch, length, hidden)
            x = self.attention_norm(self.attention_out(context) + x)
            return self.out_norm(self.out(functional.gelu(self.inner(x))) + x)

    class PlainBert(nn.Module):
        """BertModel's encoder for inference: input_ids and attention_mask in, the last
        hidden state out (as `.last_hidden_state`); token type 0 throughout."""

        def __init__(self, config: dict[str, Any], words: nn.Module) -> None:
            super().__init__()
            hidden = config["hidden_size"]
            eps = float(config.get("layer_norm_eps", 1e-12))
            self.config = SimpleNamespace(**config)
            self.words = words
            self.positions = nn.Embedding(int(config.get("max_position_embeddings", 512)), hidden)
            self.token_type = nn.Parameter(torch.zeros(hidden))
            self.norm = nn.LayerNorm(hidden, eps=eps)
            self.layers = nn.ModuleList(
                Layer(hidden, config["num_attention_heads"], config["intermediate_size"], eps)
                for _ in range(config["num_hidden_layers"])
            )

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
            batch, length = input_ids.shape
            out = torch.empty((batch, length, self.norm.normalized_shape[0]))
            rows = max(1, STEP_TOKENS // max(1, length))
            for start in range(0, batch, rows):  # a few sequences at a time: bounded memory
                end = start + rows
                out[start:end] = self.encode(input_ids[start:end], attention_mask[start:end])
            return SimpleNamespace(last_hidden_state=out)

        def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            positions = torch.arange(input_ids.shape[1])
            x = self.norm(self.words(input_ids) + self.positions(positions) + self.token_type)
            keep = attention_mask.bool()[:, None, None, :]  # keys each query may attend to
            for layer in self.layers:
                x = layer(x, keep)
            return x

    return Layer, PlainBert


# Our names -> the checkpoint's (BertModel.save_pretrained), per layer and for the embeddings.
_LAYER_KEYS = {
    "query": "attention.self.query",
    "key": "attention.self.key",
    "value": "attention.self.value",
    "attention_out": "attention.output.dense",
    "attention_norm": "attention.output.LayerNorm",
    "inner": "intermediate.dense",
    "out": "output.dense",
    "out_norm": "output.LayerNorm",
}


class _Weights:
    """Tensors of a safetensors file read with plain file reads (no mmap: nothing of the file
    stays resident once read), fp32 only."""

    def __init__(self, fh: Any) -> None:
        size = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(size))
        header.pop("__metadata__", None)
        self.fh, self.base, self.header = fh, 8 + size, header

    def names(self) -> set[str]:
        return set(self.header)

    def shape(self, name: str) -> list[int]:
        info = self.header[name]
        if info.get("dtype") != "F32":
            raise ValueError(f"{name} is {info.get('dtype')}, not F32")
        return [int(n) for n in info["shape"]]

    def rows(self, name: str, start: int, count: int) -> Any:
        """Rows [start, start+count) of a 2-D (or all of a 1-D) tensor, as an owned tensor."""
        import torch

        shape = self.shape(name)
        width = 1
        for n in shape[1:]:
            width *= n
        out = torch.empty([count, *shape[1:]] if len(shape) > 1 else [count], dtype=torch.float32)
        self.fh.seek(self.base + int(self.header[name]["data_offsets"][0]) + start * width * 4)
        if self.fh.readinto(out.numpy().reshape(-1).view("uint8")) != out.numel() * 4:
            raise ValueError(f"{name}: the file is shorter than its header says")
        return out

    def tensor(self, name: str) -> Any:
        return self.rows(name, 0, self.shape(name)[0])


def _int8_table(weights: _Weights, name: str) -> Any:
    """The word-embedding table as compact.int8_embeddings makes it, read 16 MB of fp32
    rows at a time from the file: the whole fp32 table is never in memory."""
    import torch

    count, width = weights.shape(name)
    table = torch.empty((count, width), dtype=torch.int8)
    scale = torch.empty((count, 1), dtype=torch.float32)
    rows = max(1, _CHUNK_BYTES // (width * 4))
    for start in range(0, count, rows):
        block = weights.rows(name, start, min(rows, count - start))
        step = block.abs().amax(dim=1, keepdim=True).clamp(min=1e-30) / 127.0
        table[start : start + rows].copy_(torch.round(block / step))
        scale[start : start + rows].copy_(step)
        del block, step
    return table, scale


def load_plain_bert(folder: Path, config: dict[str, Any]) -> Any:
    """The encoder of a folder `plain_bert_folder` accepted, the word-embedding table in int8
    with a scale per row. Raises KeyError/ValueError when the weights do not fit."""
    import torch

    _, plain_bert = _module_classes()
    with (folder / WEIGHTS).open("rb") as fh:
        weights = _Weights(fh)
        names = weights.names()
        prefix = next(
            (p for p in _PREFIXES if f"{p}embeddings.word_embeddings.weight" in names), None
        )
        if prefix is None:
            raise KeyError("embeddings.word_embeddings.weight")
        table, scale = _int8_table(weights, f"{prefix}embeddings.word_embeddings.weight")
        pad = config.get("pad_token_id")
        words = _int8_embedding_class()(table, scale, pad if isinstance(pad, int) else None)
        with torch.device("meta"):  # shapes only: the weights are filled from the file below
            model = plain_bert(config, torch.nn.Identity())
        model.words = words

        def read(name: str) -> torch.Tensor:
            return weights.tensor(prefix + name)

        state = {
            "positions.weight": read("embeddings.position_embeddings.weight"),
            "token_type": read("embeddings.token_type_embeddings.weight")[0].clone(),
            "norm.weight": read("embeddings.LayerNorm.weight"),
            "norm.bias": read("embeddings.LayerNorm.bias"),
        }
        for i in range(config["num_hidden_layers"]):
            for ours, theirs in _LAYER_KEYS.items():
                for part in ("weight", "bias"):
                    state[f"layers.{i}.{ours}.{part}"] = read(f"encoder.layer.{i}.{theirs}.{part}")
    for name, tensor in state.items():
        expected = model.get_parameter(name).shape
        if tensor.shape != expected:
            raise ValueError(f"{name}: {list(tensor.shape)} in the file, {list(expected)} expected")
    model.load_state_dict(state, strict=False, assign=True)
    leftover = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if leftover:
        raise ValueError(f"weights missing from {WEIGHTS}: {', '.join(leftover[:3])}")
    return model.eval()
