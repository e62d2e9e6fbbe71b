"""The e5 backend: a sentence encoder (intfloat/multilingual-e5-small) plus the project's head.

The encoder loads through AutoTokenizer/AutoModel from local files only, like the transformers
backend (`python -m bot models download` fetches it); the head (bot/sentiment/e5_head.py) ships
in the package and is checked against the encoder's hidden size at load. Texts get the head's
prefix ("query: " for e5), are mean-pooled over their tokens and L2-normalised, then the head
adds the word list's scores and picks the label. Callers run `score_batch` in a worker thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.sentiment.bert_encoder import load_plain_bert, plain_bert_folder
from bot.sentiment.compact import half_embeddings, int8_embeddings, length_batches
from bot.sentiment.e5_head import Head, HeadError, label_of, load_head
from bot.sentiment.transformers_backend import (
    MAX_LENGTH_CAP,
    ModelLoadError,
    configure_torch,
    quantize,
)
from bot.sentiment.types import Sentiment
from bot.sentiment.xlmr_tokenizer import local_file, xlmr_sentencepiece
from bot.utils.heap import trim_heap

log = logging.getLogger(__name__)

BACKEND_NAME = "e5"
DEFAULT_ENCODER = "intfloat/multilingual-e5-small"


@dataclass
class Encoder:
    tokenizer: Any
    model: Any
    max_length: int
    hidden_size: int

    def embed(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        """Mean-pooled, L2-normalised embeddings, one row per text (in the given order)."""
        import torch

        out = np.zeros((len(texts), self.hidden_size), dtype=np.float32)
        # Similar lengths share a batch, so little compute goes into padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for chunk in length_batches(order, texts, batch_size):
            enc = self.tokenizer(
                [texts[i] for i in chunk],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            enc.pop("token_type_ids", None)  # one segment; the model's default is type 0
            with torch.inference_mode():
                hidden = self.model(**enc).last_hidden_state.float()
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            out[chunk] = pooled.numpy()
        return out


def load_encoder(
    model_id: str,
    cache_dir: Path | None = None,
    *,
    local_only: bool = True,
    quantized: bool = False,
    fp16_embeddings: bool = True,
    int8_table: bool = False,
    plain: bool = False,
) -> Encoder:
    """Tokenizer and bare encoder; raises ModelLoadError with a short reason.

    The word-embedding table is kept in fp16 (bot/sentiment/compact.py: half the encoder's
    memory for multilingual-e5-small, embeddings within cosine 0.9999 of fp32), or with
    `int8_table` (E5Backend's default) in int8 with a scale per row: a quarter, cosine 0.99998
    on real e5 weights (docs/sentiment-models.md). An XLM-R style
    folder with `sentencepiece.bpe.model` is tokenized by bot/sentiment/xlmr_tokenizer.py
    (about 250 MB less than the `tokenizers` one for e5's vocabulary), any other through
    AutoTokenizer. With `plain` (E5Backend's default) and an int8 table, a plain BertModel
    folder runs on bot/sentiment/bert_encoder.py instead of AutoModel: the same hidden states
    without importing transformers' modelling stack or holding the fp32 table."""
    tokenizer: Any = xlmr_sentencepiece(model_id, cache_dir, MAX_LENGTH_CAP)
    if plain and int8_table and not quantized and tokenizer is not None:
        plain_model = _plain_model(model_id, cache_dir)
        if plain_model is not None:
            return _encoder(model_id, tokenizer, plain_model)
    try:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        kwargs: dict[str, Any] = {"local_files_only": local_only}
        if cache_dir is not None:
            kwargs["cache_dir"] = str(cache_dir)
        if tokenizer is None:
            tokenizer = AutoTokenizer.from_pretrained(model_id, **kwargs)
        model = AutoModel.from_pretrained(model_id, **kwargs)
    except Exception as exc:  # transformers raises OSError, ValueError, EnvironmentError, ...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelLoadError(f"cannot load encoder {model_id!r}: {reason}") from exc
    model.eval()
    if int8_table:
        int8_embeddings(model)
    elif fp16_embeddings:
        half_embeddings(model)
    if quantized:
        model = quantize(model)
    return _encoder(model_id, tokenizer, model)


def _plain_model(model_id: str, cache_dir: Path | None) -> Any:
    """bot/sentiment/bert_encoder.py's model of a plain BertModel folder, else None."""
    found = local_file(model_id, "config.json", cache_dir)
    config = plain_bert_folder(found.parent) if found is not None else None
    if found is None or config is None:
        return None
    try:
        model = load_plain_bert(found.parent, config)
    except (OSError, KeyError, ValueError, RuntimeError) as exc:  # AutoModel says it better
        log.warning("sentiment encoder %s: loading through transformers (%s)", model_id, exc)
        return None
    trim_heap()  # the file's rows read while quantising the table
    return model


def _encoder(model_id: str, tokenizer: Any, model: Any) -> Encoder:
    hidden = getattr(model.config, "hidden_size", None)
    if not isinstance(hidden, int):
        raise ModelLoadError(f"encoder {model_id!r} does not say its hidden size")
    limits = [MAX_LENGTH_CAP, int(getattr(tokenizer, "model_max_length", MAX_LENGTH_CAP))]
    positions = getattr(model.config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    kind = getattr(tokenizer, "kind", "transformers")
    log.info(
        "sentiment encoder %s: %s tokenizer (%s), %s",
        model_id,
        kind,
        type(tokenizer).__name__,
        type(model).__name__,
    )
    return Encoder(tokenizer, model, min(limits), hidden)


class E5Backend:
    name = BACKEND_NAME

    def __init__(
        self,
        encoder_id: str = DEFAULT_ENCODER,
        *,
        head_path: Path | None = None,
        batch_size: int = 16,
        threads: int = 0,
        cache_dir: Path | None = None,
        quantized: bool = False,
        fp16_embeddings: bool = True,
        int8_table: bool = True,
        plain: bool = True,
    ) -> None:
        self.plain = plain
        self.encoder_id = encoder_id
        self.fp16_embeddings = fp16_embeddings
        self.int8_table = int8_table
        self.head_path = head_path
        self.batch_size = batch_size
        self.threads = threads
        self.cache_dir = cache_dir
        self.quantized = quantized
        self._loaded: tuple[Encoder, Head] | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        """What produced the scores: encoder and head, e.g. `intfloat/...-small+e5-head-v1`."""
        head = self._loaded[1].name if self._loaded else self._head_name()
        return f"{self.encoder_id}+{head}"

    def _head_name(self) -> str:
        return self.head_path.stem if self.head_path else "e5-head"

    def load(self) -> None:
        self._get()

    def _get(self) -> tuple[Encoder, Head]:
        with self._lock:
            if self._loaded is None:
                try:
                    head = load_head(self.head_path)
                except HeadError as exc:
                    raise ModelLoadError(str(exc)) from exc
                configure_torch(self.threads)
                encoder = load_encoder(
                    self.encoder_id,
                    self.cache_dir,
                    quantized=self.quantized,
                    fp16_embeddings=self.fp16_embeddings,
                    int8_table=self.int8_table,
                    plain=self.plain,
                )
                try:
                    head.validate(encoder.hidden_size)
                except HeadError as exc:
                    raise ModelLoadError(str(exc)) from exc
                self._loaded = (encoder, head)
                log.info("loaded sentiment encoder %s with head %s", self.encoder_id, head.name)
            return self._loaded

    def score_batch(self, texts: list[str], languages: list[str]) -> list[Sentiment]:
        if len(texts) != len(languages):
            raise ValueError("texts and languages differ in length")
        results: list[Sentiment | None] = [None] * len(texts)
        todo = [i for i, text in enumerate(texts) if text.strip()]
        for i in set(range(len(texts))) - set(todo):
            results[i] = Sentiment("neutral", 0.0, 0.0, self.name, self.model)
        if todo:
            encoder, head = self._get()
            chosen = [texts[i] for i in todo]
            langs = [languages[i] for i in todo]
            embeddings = encoder.embed([head.prefix + t for t in chosen], self.batch_size)
            probs = head.predict_proba(head.features(embeddings, chosen, langs))
            for i, row in zip(todo, probs, strict=True):
                label, score, confidence = label_of(row)
                results[i] = Sentiment(label, score, confidence, self.name, self.model)
            trim_heap()  # the batch's freed activations back to the system, not kept by malloc
        return [r for r in results if r is not None]
