"""Features of the trained offline model, shared by training and inference.

Three n-gram families, each looked up in its own vocabulary (no hashing, so no collisions
and no per-feature hash call): words, word pairs, and character 3-5-grams inside
space-padded words (`" koers "` -> `" ko"`, `"koe"`, ...), which catch Dutch compounds and
inflections that a word list misses. Digits read as 0, so "+12%" and "+3%" look alike.
The n-gram block is binary presence times idf, L2-normalised per text.

Then a few dense features: the word list's own score (bot/sentiment/lexicon.py) in several
shapes, and for Dutch the summed polarity of the adjectives in the Pattern lexicon.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np

from bot.sentiment.lexicon import THRESHOLD, raw_score

CHAR_SIZES = (3, 4, 5)
CACHE_WORDS = 100_000  # words whose columns are remembered (a few MB at most)
DENSE_NAMES = (
    "lex_tanh",
    "lex_pos",
    "lex_neg",
    "lex_bullish",
    "lex_bearish",
    "lex_no_terms",
    "pattern_pos",
    "pattern_neg",
)
_WORD = re.compile(r"\w+(?:['’]\w+)*")
_DIGITS = str.maketrans("123456789", "000000000")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower().translate(_DIGITS))


def ngrams(words: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(words, word pairs, character n-grams) of one tokenised text, duplicates kept."""
    pairs = [f"{a} {b}" for a, b in pairwise(words)]
    padded = [f" {word} " for word in words]
    chars = [p[i : i + n] for p in padded for n in CHAR_SIZES for i in range(len(p) - n + 1)]
    return list(words), pairs, chars


def dense(
    text: str, words: Sequence[str], language: str, pattern: Mapping[str, float]
) -> list[float]:
    """The word list's score and the Pattern adjectives' polarity, scaled to about [-1, 1]."""
    raw, terms = raw_score(text, language)
    polarities = [pattern[w] for w in words if w in pattern]
    positive = sum(v for v in polarities if v > 0)
    negative = -sum(v for v in polarities if v < 0)
    return [
        math.tanh(raw / 2.0),
        min(max(raw, 0.0), 4.0) / 4.0,
        min(max(-raw, 0.0), 4.0) / 4.0,
        1.0 if raw > THRESHOLD else 0.0,
        1.0 if raw < -THRESHOLD else 0.0,
        1.0 if terms == 0 else 0.0,
        min(positive, 2.0) / 2.0,
        min(negative, 2.0) / 2.0,
    ]


class Featuriser:
    """Maps texts to a sparse matrix (CSR arrays) over vocabulary + dense columns."""

    def __init__(
        self,
        vocabularies: tuple[Sequence[str], Sequence[str], Sequence[str]],
        idf: np.ndarray,
        pattern: Mapping[str, float],
        language: str,
        dense_scale: float,
    ) -> None:
        self.index: list[dict[str, int]] = []
        offset = 0
        for vocabulary in vocabularies:
            self.index.append({term: offset + i for i, term in enumerate(vocabulary)})
            offset += len(vocabulary)
        self.n_ngrams = offset
        self.n_features = offset + len(DENSE_NAMES)
        self.idf = np.asarray(idf, dtype=np.float32)
        self.pattern = pattern
        self.language = language
        self.dense_scale = dense_scale
        self._cache: dict[str, tuple[int, ...]] = {}

    def transform(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr, indices, data) of the texts' feature rows; every row holds the dense block."""
        columns: list[int] = []
        counts: list[int] = []
        dense_rows: list[list[float]] = []
        for text in texts:
            words = tokens(text)
            found: set[int] = set()  # each term counts once (binary presence)
            for word in words:
                found.update(self._cache.get(word) or self._word_columns(word))
            pair_index = self.index[1]
            for a, b in pairwise(words):
                column = pair_index.get(f"{a} {b}")
                if column is not None:
                    found.add(column)
            columns.extend(found)
            counts.append(len(found))
            dense_rows.append(dense(text, words, self.language, self.pattern))
        return self._assemble(columns, counts, dense_rows)

    def _word_columns(self, word: str) -> tuple[int, ...]:
        """The word's own column and its character n-grams' (words recur: cached)."""
        padded = f" {word} "
        chars = self.index[2]
        grams = {padded[i : i + n] for n in CHAR_SIZES for i in range(len(padded) - n + 1)}
        found = [chars[g] for g in grams if g in chars]
        own = self.index[0].get(word)
        if own is not None:
            found.append(own)
        columns = tuple(found)
        if len(self._cache) < CACHE_WORDS:
            self._cache[word] = columns
        return columns

    def _assemble(
        self, columns: list[int], counts: list[int], dense_rows: list[list[float]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR rows: the n-grams (idf, L2-normalised per row), then the dense block."""
        n, width = len(counts), len(DENSE_NAMES)
        per_row = np.asarray(counts, dtype=np.int64)
        cols = np.asarray(columns, dtype=np.int64)
        rows = np.repeat(np.arange(n), per_row)
        values = self.idf[cols].astype(np.float64)
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n))
        norms[norms == 0] = 1.0
        indptr = np.zeros(n + 1, dtype=np.int64)
        indptr[1:] = np.cumsum(per_row + width)
        indices = np.empty(indptr[-1], dtype=np.int64)
        data = np.empty(indptr[-1], dtype=np.float32)
        first = np.cumsum(per_row) - per_row  # where each row starts within `cols`
        at = indptr[:-1][rows] + np.arange(len(cols)) - first[rows]
        indices[at] = cols
        data[at] = values / norms[rows]
        dense_at = (indptr[:-1] + per_row)[:, None] + np.arange(width)
        indices[dense_at] = self.n_ngrams + np.arange(width)
        data[dense_at] = np.asarray(dense_rows, dtype=np.float32).reshape(n, width)
        data[dense_at] *= self.dense_scale
        return indptr, indices, data


def csr_dot(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """X @ W for a CSR X whose rows are all non-empty (every row has the dense block)."""
    contributions = weights[indices] * data[:, None]
    return np.add.reduceat(contributions, indptr[:-1], axis=0)
