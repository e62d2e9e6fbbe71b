"""Train and measure the e5 head: embed labelled texts once (cached), fit, cross-validate.

`python -m bot sentiment train-head --encoder DIR --data FILE... --out HEAD.npz` runs this.
Embeddings are cached in an .npz keyed by a hash of the prefixed text and the encoder, so a
re-run (other l2, other evaluation file) does not embed 6,000 headlines again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.sentiment.datasets import Example
from bot.sentiment.e5_backend import Encoder
from bot.sentiment.e5_head import Head, feature_matrix, fit, folds
from bot.sentiment.evaluate import EvalReport, evaluate
from bot.sentiment.lexicon import LEXICON_VERSION
from bot.sentiment.types import LABELS, Label

E5_PREFIX = "query: "
CACHE_CHUNK = 500


def _key(encoder_id: str, text: str) -> str:
    return hashlib.sha1(f"{encoder_id}\0{text}".encode()).hexdigest()


def embed_cached(
    encoder: Encoder,
    encoder_id: str,
    texts: Sequence[str],
    cache: Path | None = None,
    batch_size: int = 32,
) -> np.ndarray:
    """Embeddings of `texts` (already prefixed), computing only those not in `cache`."""
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        with np.load(cache, allow_pickle=False) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    keys = [_key(encoder_id, t) for t in texts]
    missing = list({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    # Saved every chunk, so an interrupted run resumes where it stopped.
    for start in range(0, len(missing), CACHE_CHUNK):
        chunk = missing[start : start + CACHE_CHUNK]
        vectors = encoder.embed([t for _k, t in chunk], batch_size)
        known.update({k: v for (k, _t), v in zip(chunk, vectors, strict=True)})
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_suffix(".partial.npz")
            with partial.open("wb") as fh:
                np.savez(fh, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
            partial.replace(cache)
    return np.stack([known[k] for k in keys]).astype(np.float32)


@dataclass(frozen=True)
class Features:
    matrix: np.ndarray
    labels: list[Label]


def build_features(embeddings: np.ndarray, examples: Sequence[Example]) -> Features:
    texts = [e.text for e in examples]
    langs = [e.language for e in examples]
    return Features(feature_matrix(embeddings, texts, langs), [e.label for e in examples])


def predict(head: Head, matrix: np.ndarray) -> list[Label]:
    return [LABELS[i] for i in np.argmax(head.predict_proba(matrix), axis=1)]


def cross_validate(
    features: Features, *, k: int = 5, l2: float = 1e-2, seed: int = 0
) -> EvalReport:
    """k-fold CV: every row predicted by a head that never saw it; one pooled report."""
    predicted: list[Label | None] = [None] * len(features.labels)
    for test in folds(len(features.labels), k, seed):
        train = np.setdiff1d(np.arange(len(features.labels)), test)
        head = fit(features.matrix[train], [features.labels[i] for i in train], l2=l2)
        for i, label in zip(test, predict(head, features.matrix[test]), strict=True):
            predicted[int(i)] = label
    return evaluate(features.labels, [p or "neutral" for p in predicted])


def head_meta(encoder_id: str, hidden_size: int, sources: Sequence[str]) -> dict[str, object]:
    return {
        "encoder": encoder_id,
        "hidden_size": hidden_size,
        "prefix": E5_PREFIX,
        "pooling": "mean, L2-normalised",
        "lexicon": LEXICON_VERSION,
        "labels": list(LABELS),
        "trained_on": list(sources),
    }
