"""The transformers backend: any HuggingFace text-classification model, by hub id or path.

Models load once, on first use (or `load()`), behind a lock, from local files only: the bot
never reaches the hub at run time (`python -m bot models download` fills the cache). Texts
are scored in length-sorted batches, truncated to the model's maximum length, under
`torch.inference_mode`. Callers run `score_batch` in a worker thread.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.sentiment.compact import (
    half_embeddings,
    length_batches,
    release_pages,
    weight_spans,
)
from bot.sentiment.labels import LabelScheme, scheme_for
from bot.sentiment.types import Sentiment
from bot.utils.heap import trim_heap

log = logging.getLogger(__name__)

BACKEND_NAME = "transformers"
# Tokenizers without a configured limit report a huge model_max_length; BERT-style models
# have 512 positions, and news headlines with a summary fit well within that.
MAX_LENGTH_CAP = 512


class ModelLoadError(RuntimeError):
    """The model or its tokenizer could not be loaded (not downloaded, broken, unknown labels)."""


@dataclass
class _Loaded:
    tokenizer: Any
    model: Any
    scheme: LabelScheme
    max_length: int


def default_threads() -> int:
    """One core fewer than the machine has (at least 1, at most 4).

    The event loop, SQLite and feed parsing need a core too: on a 2-core machine two torch
    threads stall each other whenever another thread runs (OpenMP waits for the slowest),
    and small batches then run 5-10x slower than on one thread (`python -m bench.sentiment`).
    """
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def configure_torch(threads: int) -> None:
    import torch

    torch.set_num_threads(threads if threads > 0 else default_threads())


def quantize(model: Any) -> Any:
    """int8 dynamic quantisation of the Linear layers, in place: about 3x faster on CPU and
    250 MB smaller for BERT-base, for a typical accuracy change under one point. The fp32
    pages of the replaced layers are handed back (bot/sentiment/compact.py): read from the
    mapped weights file once, they would otherwise stay in RSS as long as the mapping."""
    import torch

    replaced = weight_spans([m for m in model.modules() if type(m) is torch.nn.Linear])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch marks the eager quantisation API deprecated
            quantized = torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
            )
    except (AttributeError, ImportError, RuntimeError) as exc:
        log.warning("int8 quantisation unavailable (%s); running the model in fp32", exc)
        return model
    for address, length in replaced:
        release_pages(address, length)
    return quantized


def load_model(
    model_id: str,
    cache_dir: Path | None = None,
    *,
    local_only: bool = True,
    quantized: bool = False,
    fp16_embeddings: bool = True,
) -> _Loaded:
    """Load tokenizer, model and label scheme; raises ModelLoadError with a short reason.
    The word-embedding table is kept in fp16 (bot/sentiment/compact.py)."""
    try:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no tqdm bars in the bot's log

        kwargs: dict[str, Any] = {"local_files_only": local_only}
        if cache_dir is not None:
            kwargs["cache_dir"] = str(cache_dir)
        tokenizer = AutoTokenizer.from_pretrained(model_id, **kwargs)
        model = AutoModelForSequenceClassification.from_pretrained(model_id, **kwargs)
    except Exception as exc:  # transformers raises OSError, ValueError, EnvironmentError, ...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"cannot load model {model_id!r}: {reason}") from exc
    model.eval()
    if fp16_embeddings:
        half_embeddings(model)
    if quantized:
        model = quantize(model)
    try:
        scheme = scheme_for(model.config.id2label)
    except ValueError as exc:
        raise ModelLoadError(f"model {model_id!r}: {exc}") from exc
    limits = [MAX_LENGTH_CAP, int(getattr(tokenizer, "model_max_length", MAX_LENGTH_CAP))]
    positions = getattr(model.config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return _Loaded(tokenizer, model, scheme, min(limits))


class TransformersBackend:
    name = BACKEND_NAME

    def __init__(
        self,
        model_id: str,
        *,
        model_nl: str | None = None,
        batch_size: int = 16,
        threads: int = 0,
        cache_dir: Path | None = None,
        quantized: bool = False,
    ) -> None:
        self.model_id = model_id
        self.overrides = {"nl": model_nl} if model_nl else {}
        self.batch_size = batch_size
        self.threads = threads
        self.cache_dir = cache_dir
        self.quantized = quantized
        self._loaded: dict[str, _Loaded] = {}
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        """What produced the scores: the model, plus any per-language override."""
        extra = "".join(f" {lang}={mid}" for lang, mid in sorted(self.overrides.items()))
        return self.model_id + extra

    def model_ids(self) -> list[str]:
        return [self.model_id, *self.overrides.values()]

    def load(self) -> None:
        """Load every configured model now (the first score_batch would otherwise)."""
        for model_id in self.model_ids():
            self._get(model_id)

    def _get(self, model_id: str) -> _Loaded:
        with self._lock:
            loaded = self._loaded.get(model_id)
            if loaded is None:
                configure_torch(self.threads)
                loaded = load_model(model_id, self.cache_dir, quantized=self.quantized)
                self._loaded[model_id] = loaded
                log.info("loaded sentiment model %s (max length %d)", model_id, loaded.max_length)
            return loaded

    def score_batch(self, texts: list[str], languages: list[str]) -> list[Sentiment]:
        if len(texts) != len(languages):
            raise ValueError("texts and languages differ in length")
        results: list[Sentiment | None] = [None] * len(texts)
        groups: dict[str, list[int]] = {}
        for i, (text, language) in enumerate(zip(texts, languages, strict=True)):
            if not text.strip():
                results[i] = Sentiment("neutral", 0.0, 0.0, self.name, self.model_id)
                continue
            groups.setdefault(self.overrides.get(language, self.model_id), []).append(i)
        for model_id, indices in groups.items():
            loaded = self._get(model_id)
            # Similar lengths share a batch, so little compute goes into padding.
            indices.sort(key=lambda i: len(texts[i]))
            for chunk in length_batches(indices, texts, self.batch_size):
                for i, probs in zip(
                    chunk, self._infer(loaded, [texts[i] for i in chunk]), strict=True
                ):
                    label, score, confidence = loaded.scheme.apply(probs)
                    results[i] = Sentiment(label, score, confidence, self.name, model_id)
        trim_heap()  # the batch's freed activations back to the system, not kept by malloc
        return [r for r in results if r is not None]

    @staticmethod
    def _infer(loaded: _Loaded, texts: list[str]) -> list[list[float]]:
        import torch

        encoded = loaded.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=loaded.max_length,
            return_tensors="pt",
        )
        with torch.inference_mode():
            logits = loaded.model(**encoded).logits
        probs: list[list[float]] = logits.float().softmax(dim=-1).tolist()
        return probs
