"""The project's own sentiment head: a 3-class logistic regression over a sentence embedding.

Features per text: the encoder's mean-pooled, L2-normalised embedding (e5 wants the prefix
"query: ") plus the word list's own scores (bot/sentiment/lexicon.py). The head is a few
numbers in an .npz file (weights, feature standardisation, JSON metadata: which encoder and
hidden size it was trained for, the prefix, the lexicon version, its measured figures), so it
ships in the package without any labelled rows. Inference and training are plain numpy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from bot.sentiment.lexicon import THRESHOLD, raw_score
from bot.sentiment.types import LABELS, Label

HEAD_FORMAT = "e5-head-v1"
PACKAGED_HEAD = "data/sentiment/e5_head.npz"  # inside the bot package
LEXICON_FEATURES = 4


class HeadError(ValueError):
    """The head file is missing, malformed, or does not fit the encoder."""


def lexicon_features(texts: Sequence[str], languages: Sequence[str]) -> np.ndarray:
    """The word list's view of each text: squashed score, polar up/down flags, term count."""
    rows = []
    for text, language in zip(texts, languages, strict=True):
        raw, terms = raw_score(text, language)
        rows.append(
            [
                math.tanh(raw / 2.0),
                float(raw > THRESHOLD),
                float(raw < -THRESHOLD),
                min(terms, 5) / 5,
            ]
        )
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), LEXICON_FEATURES)


def feature_matrix(
    embeddings: np.ndarray, texts: Sequence[str], languages: Sequence[str]
) -> np.ndarray:
    """What the head reads: the embedding, then the word list's features."""
    return np.hstack([embeddings, lexicon_features(texts, languages)])


@dataclass(frozen=True)
class Head:
    weight: np.ndarray  # (3, features), rows in LABELS order
    bias: np.ndarray  # (3,)
    mean: np.ndarray  # (features,) standardisation
    scale: np.ndarray  # (features,)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def hidden_size(self) -> int:
        return int(self.meta["hidden_size"])

    @property
    def prefix(self) -> str:
        return str(self.meta.get("prefix", ""))

    @property
    def name(self) -> str:
        return str(self.meta.get("name", HEAD_FORMAT))

    def validate(self, hidden_size: int) -> None:
        """Raise HeadError unless the head was trained for an encoder of this width."""
        if hidden_size != self.hidden_size:
            raise HeadError(
                f"head {self.name!r} expects {self.hidden_size}-wide embeddings "
                f"(encoder {self.meta.get('encoder')!r}), this encoder gives {hidden_size}"
            )

    def features(
        self, embeddings: np.ndarray, texts: Sequence[str], languages: Sequence[str]
    ) -> np.ndarray:
        if embeddings.shape[1] != self.hidden_size:
            raise HeadError(
                f"embeddings are {embeddings.shape[1]} wide, head wants {self.hidden_size}"
            )
        return feature_matrix(embeddings, texts, languages)

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        return _softmax(((features - self.mean) / self.scale) @ self.weight.T + self.bias)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                weight=self.weight.astype(np.float32),
                bias=self.bias.astype(np.float32),
                mean=self.mean.astype(np.float32),
                scale=self.scale.astype(np.float32),
                meta=np.array(json.dumps(self.meta, sort_keys=True)),
            )


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def load_head(path: Path | None = None) -> Head:
    """Load a head file (default: the packaged one) and check its shapes and metadata."""
    if path is None:
        with resources.as_file(resources.files("bot") / PACKAGED_HEAD) as real:
            return load_head(real)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: np.asarray(data[k]) for k in ("weight", "bias", "mean", "scale")}
            meta = json.loads(str(data["meta"]))
    except (OSError, KeyError, ValueError) as exc:
        raise HeadError(f"cannot read sentiment head {path}: {exc}") from exc
    if meta.get("format") != HEAD_FORMAT:
        raise HeadError(f"{path}: format {meta.get('format')!r}, expected {HEAD_FORMAT!r}")
    if not isinstance(meta.get("hidden_size"), int) or meta["hidden_size"] <= 0:
        raise HeadError(f"{path}: metadata lacks the encoder's hidden_size")
    width = meta["hidden_size"] + LEXICON_FEATURES
    weight, bias = arrays["weight"], arrays["bias"]
    if weight.shape != (len(LABELS), width) or bias.shape != (len(LABELS),):
        raise HeadError(f"{path}: weights {weight.shape} do not fit {width} features")
    if arrays["mean"].shape != (width,) or arrays["scale"].shape != (width,):
        raise HeadError(f"{path}: standardisation does not fit {width} features")
    return Head(weight, bias, arrays["mean"], arrays["scale"], meta)


def label_of(probs: np.ndarray) -> tuple[Label, float, float]:
    """(label, score in [-1, 1], confidence) for one probability row in LABELS order."""
    index = int(np.argmax(probs))
    score = float(np.clip(probs[2] - probs[0], -1.0, 1.0))
    return LABELS[index], score, float(np.clip(probs[index], 0.0, 1.0))


# --- training --------------------------------------------------------------------------


def fit(
    features: np.ndarray,
    labels: Sequence[Label],
    *,
    l2: float = 1e-2,
    steps: int = 400,
    meta: dict[str, Any] | None = None,
) -> Head:
    """Multinomial logistic regression, full-batch Adam, classes weighted to equal mass.

    Deterministic (zero start, no sampling), so the same data gives the same head.
    """
    x = np.asarray(features, dtype=np.float32)
    y = np.array([LABELS.index(label) for label in labels])
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    x = (x - mean) / scale
    onehot = np.eye(len(LABELS))[y]
    counts = onehot.sum(axis=0)
    weights = (len(y) / (len(LABELS) * np.maximum(counts, 1)))[y][:, None]
    w = np.zeros((len(LABELS), x.shape[1]))
    b = np.zeros(len(LABELS))
    m_w, v_w, m_b, v_b = (np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b))
    rate, beta1, beta2 = 0.05, 0.9, 0.999
    norm = float(weights.sum())
    for step in range(1, steps + 1):
        grad = (_softmax(x @ w.T + b) - onehot) * weights / norm
        g_w = grad.T @ x + l2 * w
        g_b = grad.sum(axis=0)
        m_w, m_b = beta1 * m_w + (1 - beta1) * g_w, beta1 * m_b + (1 - beta1) * g_b
        v_w, v_b = beta2 * v_w + (1 - beta2) * g_w**2, beta2 * v_b + (1 - beta2) * g_b**2
        fix1, fix2 = 1 - beta1**step, 1 - beta2**step
        w -= rate * (m_w / fix1) / (np.sqrt(v_w / fix2) + 1e-8)
        b -= rate * (m_b / fix1) / (np.sqrt(v_b / fix2) + 1e-8)
    info = {"format": HEAD_FORMAT, **(meta or {}), "l2": l2, "steps": steps}
    return Head(w.astype(np.float32), b.astype(np.float32), mean, scale, info)


def folds(n: int, k: int, seed: int = 0) -> list[np.ndarray]:
    """k disjoint test-index sets covering range(n), shuffled with a fixed seed."""
    order = np.random.default_rng(seed).permutation(n)
    return [order[i::k] for i in range(k)]
