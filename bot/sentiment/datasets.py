"""Labelled training/evaluation files: CSV (a text and a label column) or JSON.

CSV: a header row; the text column is `text`, `headline`, `sentence` or `title` (or named),
the label column `label` (or named). JSON: a list of objects with the same keys, or JSON
Lines (one object per line). Labels: -1/0/1, negative/neutral/positive or
bearish/neutral/bullish. The texts' language is given per file (`--language`); a JSON object
may carry its own `language` key (nl, en).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.sentiment.evaluate import TEXT_COLUMNS, DatasetError, parse_label, read_labelled_csv
from bot.sentiment.types import Label


@dataclass(frozen=True)
class Example:
    text: str
    label: Label
    language: str


def _from_objects(
    rows: list[Any], path: Path, text_key: str | None, label_key: str, language: str
) -> list[Example]:
    out = []
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise DatasetError(f"{path}: item {n} is not an object")
        key = text_key or next((k for k in TEXT_COLUMNS if k in row), None)
        if key is None or key not in row or label_key not in row:
            raise DatasetError(f"{path}: item {n} lacks a text or a {label_key!r} key")
        lang = str(row.get("language") or language)
        out.append(Example(str(row[key]), parse_label(str(row[label_key])), lang))
    return out


def read_examples(
    path: Path,
    *,
    language: str = "en",
    text_column: str | None = None,
    label_column: str = "label",
) -> list[Example]:
    """Read one labelled file; raises DatasetError with the reason."""
    if path.suffix.lower() in (".json", ".jsonl"):
        try:
            raw = path.read_text(encoding="utf-8")
            if path.suffix.lower() == ".jsonl":
                rows = [json.loads(line) for line in raw.splitlines() if line.strip()]
            else:
                rows = json.loads(raw)
        except OSError as exc:
            raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DatasetError(f"{path} is not UTF-8 JSON: {exc}") from exc
        if not isinstance(rows, list):
            raise DatasetError(f"{path}: expected a JSON list of objects")
        return _from_objects(rows, path, text_column, label_column, language)
    pairs = read_labelled_csv(path, text_column=text_column, label_column=label_column)
    return [Example(text, label, language) for text, label in pairs]


def read_many(paths: list[Path], **kwargs: Any) -> list[Example]:
    examples: list[Example] = []
    for path in paths:
        examples += read_examples(path, **kwargs)
    if not examples:
        raise DatasetError("no labelled rows in " + ", ".join(map(str, paths)))
    return examples
