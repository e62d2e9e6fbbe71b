"""Smaller models in memory, for the same scores: the word-embedding table in fp16, and the
weights file's pages handed back once copied (freed heap: bot.utils.heap).

A multilingual encoder spends most of its weights on its vocabulary: multilingual-e5-small's
250,037 x 384 table is 384 MB in fp32, the other 21M parameters 85 MB. A lookup is a gather,
so the table can stay in fp16 (half the bytes; 11-bit precision, relative error under 1e-3
per number) and the gathered rows go on in fp32: the encoder computes exactly as before on
inputs rounded to fp16 (docs/sentiment-models.md: embedding cosine vs fp32 and the head's
predictions). The fp32 table is copied a chunk at a time and the pages read from the
memory-mapped weights file are handed back to the kernel, so the load never holds both.
"""

from __future__ import annotations

import ctypes
import logging
import mmap
import sys
from typing import Any

log = logging.getLogger(__name__)

FP16_MAX = 65504.0
_CHUNK_BYTES = 16 << 20  # fp32 rows converted per step: bounds the load's extra memory
_MADV_PAGEOUT = 21  # Linux 5.4+: reclaim these pages; never loses data (unlike DONTNEED)


def _libc() -> Any:
    if sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def _file_mappings() -> list[tuple[int, int]]:
    """This process's memory-mapped files: (start, end) address ranges."""
    spans = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and fields[5].startswith("/"):
                    low, high = fields[0].split("-")
                    spans.append((int(low, 16), int(high, 16)))
    except OSError:
        return []
    return spans


def release_pages(address: int, length: int) -> None:
    """Let the kernel take back the whole pages of [address, address+length) when they lie
    in a memory-mapped file (the weights): they leave this process's RSS and are read again
    from the file if ever touched. Anything else (heap) is left alone. Linux only."""
    if _LIBC is None or length <= 0:
        return
    page = mmap.PAGESIZE
    start = -(-address // page) * page
    end = (address + length) // page * page
    if end > start and any(low <= start and end <= high for low, high in _file_mappings()):
        _LIBC.madvise(start, end - start, _MADV_PAGEOUT)  # EINVAL on old kernels: no harm


def weight_spans(modules: list[Any]) -> list[tuple[int, int]]:
    """(address, bytes) of these modules' weights, to release once they are replaced."""
    return [
        (p.data_ptr(), p.numel() * p.element_size())
        for module in modules
        for p in module.parameters(recurse=False)
    ]


def _half_embedding_class() -> Any:
    import torch

    class HalfEmbedding(torch.nn.Module):
        """nn.Embedding's lookup on an fp16 table, giving fp32 rows. The table is a buffer,
        not a parameter, so `model.dtype` (which transformers reads for masks) stays fp32."""

        weight: torch.Tensor

        def __init__(self, table: torch.Tensor, padding_idx: int | None) -> None:
            super().__init__()
            self.register_buffer("weight", table)
            self.num_embeddings, self.embedding_dim = table.shape
            self.padding_idx = padding_idx

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.embedding(ids, self.weight).float()

        def extra_repr(self) -> str:
            return f"{self.num_embeddings}, {self.embedding_dim}, dtype=float16"

    return HalfEmbedding


def half_embeddings(model: Any) -> int:
    """Swap the model's fp32 input-embedding table for an fp16 copy; returns the bytes saved
    (0 when left as is: no plain fp32 nn.Embedding, tied to an output layer, or values fp16
    cannot hold)."""
    import torch

    embedding = model.get_input_embeddings()
    if type(embedding) is not torch.nn.Embedding or embedding.weight.dtype != torch.float32:
        return 0
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if output is not None:  # a language-model head reads the same table: leave both alone
        return 0
    source = embedding.weight.detach()
    if not source.is_contiguous():
        return 0
    table = torch.empty(source.shape, dtype=torch.float16)
    rows = max(1, _CHUNK_BYTES // (source.shape[1] * source.element_size()))
    released = source.data_ptr()
    for start in range(0, source.shape[0], rows):
        block = source[start : start + rows]
        if float(block.abs().max()) > FP16_MAX:
            log.warning("embedding values beyond fp16's range: the table stays in fp32")
            return 0
        table[start : start + rows].copy_(block)
        end = block.data_ptr() + block.numel() * block.element_size()
        release_pages(released, end - released)
        released = end
    model.set_input_embeddings(_half_embedding_class()(table, embedding.padding_idx))
    return int(source.numel() * 2)


def _int8_embedding_class() -> Any:
    import torch

    class Int8Embedding(torch.nn.Module):
        """The lookup on an int8 table with one fp32 scale per row (row = int8 x scale),
        giving fp32 rows; buffers, not parameters, as HalfEmbedding's."""

        weight: torch.Tensor
        scale: torch.Tensor

        def __init__(self, table: torch.Tensor, scale: torch.Tensor, padding_idx: int | None):
            super().__init__()
            self.register_buffer("weight", table)
            self.register_buffer("scale", scale)
            self.num_embeddings, self.embedding_dim = table.shape
            self.padding_idx = padding_idx

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            rows = torch.nn.functional.embedding(ids, self.weight).float()
            return rows * torch.nn.functional.embedding(ids, self.scale)

        def extra_repr(self) -> str:
            return f"{self.num_embeddings}, {self.embedding_dim}, dtype=int8, scale per row"

    return Int8Embedding


def int8_embeddings(model: Any) -> int:
    """Swap the model's fp32 input-embedding table for int8 rows with an fp32 scale each
    (symmetric: the row's largest magnitude is 127); returns the bytes saved (0 when left as
    is, as half_embeddings). A quarter of the fp32 table, half of the fp16 one."""
    import torch

    embedding = model.get_input_embeddings()
    if type(embedding) is not torch.nn.Embedding or embedding.weight.dtype != torch.float32:
        return 0
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    source = embedding.weight.detach()
    if output is not None or not source.is_contiguous():
        return 0
    table = torch.empty(source.shape, dtype=torch.int8)
    scale = torch.empty((source.shape[0], 1), dtype=torch.float32)
    rows = max(1, _CHUNK_BYTES // (source.shape[1] * source.element_size()))
    released = source.data_ptr()
    for start in range(0, source.shape[0], rows):
        block = source[start : start + rows]
        step = block.abs().amax(dim=1, keepdim=True).clamp(min=1e-30) / 127.0
        table[start : start + rows].copy_(torch.round(block / step))
        scale[start : start + rows].copy_(step)
        end = block.data_ptr() + block.numel() * block.element_size()
        release_pages(released, end - released)
        released = end
    model.set_input_embeddings(_int8_embedding_class()(table, scale, embedding.padding_idx))
    return int(source.numel() * 3 - scale.numel() * 4)


# A headline with its summary cut near 300 characters (bot/news/clean.py): about 100 tokens.
ROW_CHARS = 400


def length_batches(order: list[int], texts: list[str], batch_size: int) -> list[list[int]]:
    """Split indices (sorted by text length, shortest first) into batches of at most
    `batch_size`, fewer when the texts are long: a batch is padded to its longest text, and a
    full batch of 1,000-character summaries would hold about three times the activations of
    typical ones (+84 MB of peak for multilingual-e5-small)."""
    batches = []
    start = 0
    while start < len(order):
        longest = len(texts[order[min(start + batch_size, len(order)) - 1]])
        size = max(1, min(batch_size, batch_size * ROW_CHARS // max(1, longest)))
        batches.append(order[start : start + size])
        start += size
    return batches
