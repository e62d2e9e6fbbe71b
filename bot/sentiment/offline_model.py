"""The trained offline backend: per-language logistic regression over n-grams and the word list.

Weights ship as package data (bot/data/sentiment/offline/: one compressed .npz per language
and model.json), written by `python -m bot sentiment train` (bot/sentiment/train.py).
Inference is numpy only: features (bot/sentiment/features.py), one sparse product, softmax.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from bot.sentiment.features import Featuriser, csr_dot
from bot.sentiment.lexicon import LEXICON_VERSION
from bot.sentiment.types import LABELS, Sentiment

log = logging.getLogger(__name__)

BACKEND_NAME = "offline"
METADATA = "model.json"
VOCABULARY_KEYS = ("words", "pairs", "chars")


class OfflineModelError(RuntimeError):
    """The trained weights are missing or unreadable."""


def pack_strings(items: list[str]) -> np.ndarray:
    """Strings as one newline-joined UTF-8 byte array (npz without pickle)."""
    return np.frombuffer("\n".join(items).encode("utf-8"), dtype=np.uint8)


def unpack_strings(array: np.ndarray) -> list[str]:
    text = array.tobytes().decode("utf-8")
    return text.split("\n") if text else []


@dataclass
class LanguageModel:
    featuriser: Featuriser
    coef: np.ndarray
    intercept: np.ndarray

    def proba(self, texts: list[str]) -> np.ndarray:
        z = csr_dot(*self.featuriser.transform(texts), self.coef) + self.intercept
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        result: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return result


def read_language(arrays: Any, language: str, dense_scale: float) -> LanguageModel:
    vocabularies = tuple(unpack_strings(arrays[key]) for key in VOCABULARY_KEYS)
    pattern = dict(
        zip(unpack_strings(arrays["pattern_words"]), arrays["pattern_values"].tolist(), strict=True)
    )
    featuriser = Featuriser(vocabularies, arrays["idf"], pattern, language, dense_scale)  # type: ignore[arg-type]
    coef = np.asarray(arrays["coef"], dtype=np.float32)
    if coef.shape != (featuriser.n_features, len(LABELS)):
        raise OfflineModelError(f"{language}: weights {coef.shape} do not fit the vocabulary")
    return LanguageModel(featuriser, coef, np.asarray(arrays["intercept"], dtype=np.float32))


def load_models(folder: Path | None = None) -> tuple[dict[str, Any], dict[str, LanguageModel]]:
    """(metadata, models per language) from `folder`, else from the package data."""
    base: Any = folder if folder is not None else resources.files("bot") / "data/sentiment/offline"
    try:
        meta = json.loads((base / METADATA).read_text(encoding="utf-8"))
        models = {}
        for language, info in meta["languages"].items():
            with (base / f"{language}.npz").open("rb") as fh, np.load(fh) as arrays:
                models[language] = read_language(arrays, language, float(info["dense_scale"]))
    except (OSError, KeyError, ValueError) as exc:
        raise OfflineModelError(f"cannot load the offline sentiment model: {exc}") from exc
    if meta.get("lexicon") != LEXICON_VERSION:
        log.warning(
            "offline sentiment model was trained with %s, the word list is now %s: retrain it "
            "(`python -m bot sentiment train`)",
            meta.get("lexicon"),
            LEXICON_VERSION,
        )
    return meta, models


class OfflineBackend:
    """Fast, numpy-only, per language (English for any language without its own model)."""

    name = BACKEND_NAME

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._models: dict[str, LanguageModel] | None = None
        self._version = ""
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._models is None:
                meta, self._models = load_models(self.folder)
                self._version = str(meta["version"])

    @property
    def model(self) -> str:
        self.load()
        return self._version

    def _for(self, language: str) -> LanguageModel:
        self.load()
        assert self._models is not None
        return self._models.get(language) or self._models["en"]

    def score_batch(self, texts: list[str], languages: list[str]) -> list[Sentiment]:
        if len(texts) != len(languages):
            raise ValueError("texts and languages differ in length")
        groups: dict[str, list[int]] = {}
        results: list[Sentiment | None] = [None] * len(texts)
        for i, (text, language) in enumerate(zip(texts, languages, strict=True)):
            if not text.strip():  # nothing to read: neutral, and no confidence in it
                results[i] = Sentiment("neutral", 0.0, 0.0, self.name, self.model)
                continue
            groups.setdefault(language if language in ("en", "nl") else "en", []).append(i)
        for language, indices in groups.items():
            probs = self._for(language).proba([texts[i] for i in indices])
            for i, row in zip(indices, probs.tolist(), strict=True):
                best = max((1, 0, 2), key=lambda k: row[k])  # a tie is neutral
                score = max(-1.0, min(1.0, row[2] - row[0]))
                confidence = min(1.0, max(0.0, row[best]))
                results[i] = Sentiment(LABELS[best], score, confidence, self.name, self.model)
        return [r for r in results if r is not None]
