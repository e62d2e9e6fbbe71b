"""Train the offline model (`python -m bot sentiment train --out DIR`); numpy only.

Trained only on data whose licence allows shipping what is learnt from it:

- Dutch: the expert-coded Dutch economic headlines (MIT) for the n-gram and word-list
  weights, and the adjectives of the Dutch Pattern lexicon (PDDL) as a feature;
- English: no labelled English set with such a licence is at hand, so the English model
  has no n-grams. It reads only the word list's scores, with the weights the Dutch data
  gives those same features (their meaning does not depend on the language).

Reproducible: folds come from a seeded generator and the fit is deterministic. Ships no
labelled rows: only vocabularies, idf and weights.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.sentiment import logreg
from bot.sentiment.evaluate import evaluate, parse_label
from bot.sentiment.features import DENSE_NAMES, Featuriser, ngrams, tokens
from bot.sentiment.lexicon import LEXICON_VERSION
from bot.sentiment.offline_model import METADATA, VOCABULARY_KEYS, pack_strings
from bot.sentiment.types import LABELS

MODEL_VERSION = "offline-v1"
DUTCH_HEADLINES = "nl_economic_headlines_dev.csv"
DUTCH_PATTERN = "nl_pattern_lexicon.xml"


@dataclass(frozen=True)
class Options:
    l2: float = 1.0  # chosen on one held-out fold of the Dutch data (docs/sentiment.md)
    dense_scale: float = 1.0
    min_df: int = 2
    seed: int = 0
    folds: int = 5


@dataclass
class Trained:
    vocabularies: tuple[list[str], list[str], list[str]]
    idf: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray


def read_headlines(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [(row["headline"], parse_label(row["label"])) for row in csv.DictReader(fh)]
    return [t for t, _ in rows], np.array([LABELS.index(label) for _, label in rows])


def read_pattern(path: Path) -> dict[str, float]:
    """Lower-cased adjective -> mean polarity over its senses (zero-polarity words dropped)."""
    senses: dict[str, list[float]] = {}
    for word in ET.parse(path).getroot().iter("word"):
        form, polarity = word.get("form"), word.get("polarity")
        if form and polarity is not None:
            senses.setdefault(form.lower(), []).append(float(polarity))
    means = {form: sum(v) / len(v) for form, v in senses.items()}
    return {form: round(v, 3) for form, v in sorted(means.items()) if abs(v) >= 0.05}


def build_vocabulary(
    texts: Sequence[str], min_df: int
) -> tuple[tuple[list[str], list[str], list[str]], np.ndarray]:
    """Terms in at least `min_df` texts, per family, and their smoothed idf."""
    counts: tuple[Counter[str], Counter[str], Counter[str]] = (Counter(), Counter(), Counter())
    for text in texts:
        for counter, grams in zip(counts, ngrams(tokens(text)), strict=True):
            counter.update(set(grams))
    vocabularies = tuple(sorted(t for t, c in counter.items() if c >= min_df) for counter in counts)
    n = len(texts)
    idf = [
        np.log((1 + n) / (1 + counter[t])) + 1.0
        for counter, vocabulary in zip(counts, vocabularies, strict=True)
        for t in vocabulary
    ]
    return vocabularies, np.asarray(idf, dtype=np.float32)  # type: ignore[return-value]


def fit_language(
    texts: Sequence[str],
    labels: np.ndarray,
    language: str,
    pattern: dict[str, float],
    options: Options,
    *,
    ngram_features: bool = True,
) -> Trained:
    if ngram_features:
        vocabularies, idf = build_vocabulary(texts, options.min_df)
    else:
        vocabularies, idf = ([], [], []), np.zeros(0, dtype=np.float32)
    featuriser = Featuriser(vocabularies, idf, pattern, language, options.dense_scale)
    fitted = logreg.fit(featuriser.transform(texts), labels, featuriser.n_features, l2=options.l2)
    return Trained(vocabularies, idf, fitted.coef, fitted.intercept)


def predict(
    model: Trained, texts: Sequence[str], language: str, pattern: dict[str, float], scale: float
) -> np.ndarray:
    featuriser = Featuriser(model.vocabularies, model.idf, pattern, language, scale)
    proba = logreg.predict_proba(featuriser.transform(texts), model.coef, model.intercept)
    return np.asarray([max((1, 0, 2), key=lambda k: row[k]) for row in proba.tolist()])


def folds(labels: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    """Stratified fold number per row, from a seeded shuffle within each class."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(labels), dtype=np.int64)
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        rng.shuffle(rows)
        fold[rows] = np.arange(len(rows)) % k
    return [np.flatnonzero(fold == i) for i in range(k)]


def cross_validate(
    texts: Sequence[str],
    labels: np.ndarray,
    language: str,
    pattern: dict[str, float],
    options: Options,
    *,
    ngram_features: bool = True,
) -> list[float]:
    """Macro-F1 per held-out fold; the vocabulary is built on the training folds only."""
    scores = []
    parts = folds(labels, options.folds, options.seed)
    for held in parts:
        train = np.setdiff1d(np.arange(len(texts)), held)
        model = fit_language(
            [texts[i] for i in train],
            labels[train],
            language,
            pattern,
            options,
            ngram_features=ngram_features,
        )
        predicted = predict(model, [texts[i] for i in held], language, pattern, options.dense_scale)
        report = evaluate([LABELS[i] for i in labels[held]], [LABELS[i] for i in predicted])
        scores.append(report.macro_f1)
    return scores


def save(out: Path, models: dict[str, tuple[Trained, dict[str, float]]], meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for language, (model, pattern) in models.items():
        arrays: dict[str, Any] = {
            key: pack_strings(v) for key, v in zip(VOCABULARY_KEYS, model.vocabularies, strict=True)
        }
        arrays.update(
            idf=model.idf.astype(np.float32),
            coef=model.coef.astype(np.float32),
            intercept=model.intercept.astype(np.float32),
            pattern_words=pack_strings(list(pattern)),
            pattern_values=np.asarray(list(pattern.values()), dtype=np.float32),
        )
        np.savez_compressed(out / f"{language}.npz", **arrays)
    (out / METADATA).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", "utf-8")


def train(
    data_dir: Path, out: Path, options: Options, *, sample: int | None = None, cv: bool = True
) -> dict:
    """Fit nl (and en from nl's word-list weights), cross-validate, save; returns the metadata."""
    texts, labels = read_headlines(data_dir / DUTCH_HEADLINES)
    if sample is not None and sample < len(texts):
        keep = np.sort(np.random.default_rng(options.seed).permutation(len(texts))[:sample])
        texts, labels = [texts[i] for i in keep], labels[keep]
    pattern = read_pattern(data_dir / DUTCH_PATTERN)
    dutch = fit_language(texts, labels, "nl", pattern, options)
    # English: the word-list features only, weighted as the Dutch data weights them.
    english = fit_language(texts, labels, "nl", {}, options, ngram_features=False)
    languages: dict[str, dict] = {
        "nl": {
            "trained_on": f"{DUTCH_HEADLINES} ({len(texts)} rows, MIT) + {DUTCH_PATTERN} (PDDL)",
            "features": f"{sum(map(len, dutch.vocabularies))} n-grams + {len(DENSE_NAMES)} dense",
        },
        "en": {
            "trained_on": f"word-list features of {DUTCH_HEADLINES} (no English labelled rows)",
            "features": f"{len(DENSE_NAMES)} dense (word-list scores)",
        },
    }
    if cv:
        scores = cross_validate(texts, labels, "nl", pattern, options)
        languages["nl"]["cv_macro_f1"] = [round(s, 4) for s in scores]
    for info in languages.values():
        info["dense_scale"] = options.dense_scale
    meta = {
        "version": MODEL_VERSION,
        "lexicon": LEXICON_VERSION,
        "labels": list(LABELS),
        "dense": list(DENSE_NAMES),
        "options": {"l2": options.l2, "min_df": options.min_df, "seed": options.seed},
        "languages": languages,
    }
    save(out, {"nl": (dutch, pattern), "en": (english, {})}, meta)
    return meta
