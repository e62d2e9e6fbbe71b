"""Evaluate a backend on labelled texts: accuracy, macro-F1, per-class figures, confusion.

The dev CSVs are split deterministically by a CRC32 of the row id (70 % "tune", 30 %
"held"), so figures on the held-back part can be reproduced by anyone with the same file.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.sentiment.types import LABELS, Label

Part = Literal["all", "tune", "held"]
TEXT_COLUMNS = ("text", "headline", "sentence", "title")
_LABEL_VALUES: dict[str, Label] = {
    "-1": "bearish",
    "0": "neutral",
    "1": "bullish",
    "+1": "bullish",
    "negative": "bearish",
    "neutral": "neutral",
    "positive": "bullish",
    "bearish": "bearish",
    "bullish": "bullish",
}


class DatasetError(ValueError):
    """The file cannot be read as labelled texts; the message says why."""


@dataclass(frozen=True)
class ClassFigures:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvalReport:
    total: int
    accuracy: float
    macro_f1: float
    per_class: dict[Label, ClassFigures]
    confusion: dict[Label, dict[Label, int]]  # gold -> predicted -> count


def in_part(row_id: str, part: Part) -> bool:
    if part == "all":
        return True
    tune = zlib.crc32(row_id.encode("utf-8")) % 10 < 7
    return tune if part == "tune" else not tune


def parse_label(value: str) -> Label:
    label = _LABEL_VALUES.get(value.strip().lower())
    if label is None:
        raise DatasetError(f"unknown label {value!r} (use -1/0/1 or negative/neutral/positive)")
    return label


def read_labelled_csv(
    path: Path,
    *,
    text_column: str | None = None,
    label_column: str = "label",
    id_column: str = "id",
    part: Part = "all",
) -> list[tuple[str, Label]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            column = text_column or next((c for c in TEXT_COLUMNS if c in columns), None)
            if column is None or column not in columns:
                raise DatasetError(f"no text column {text_column or TEXT_COLUMNS} in {path}")
            if label_column not in columns:
                raise DatasetError(f"no label column {label_column!r} in {path}")
            if part != "all" and id_column not in columns:
                raise DatasetError(f"--part needs an id column {id_column!r} in {path}")
            return [
                (row[column] or "", parse_label(row[label_column] or ""))
                for row in reader
                if in_part(row.get(id_column) or "", part)
            ]
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not UTF-8 text") from exc


def evaluate(gold: Sequence[Label], predicted: Sequence[Label]) -> EvalReport:
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    confusion = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    per_class: dict[Label, ClassFigures] = {}
    for label in LABELS:
        tp = confusion[label][label]
        predicted_n = sum(confusion[g][label] for g in LABELS)
        support = sum(confusion[label].values())
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = ClassFigures(precision, recall, f1, support)
    total = len(gold)
    correct = sum(confusion[label][label] for label in LABELS)
    present = [label for label in LABELS if per_class[label].support]
    macro = sum(per_class[label].f1 for label in present) / len(present) if present else 0.0
    return EvalReport(total, correct / total if total else 0.0, macro, per_class, confusion)
