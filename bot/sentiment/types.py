"""The sentiment value every backend returns, and the one interface backends implement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Label = Literal["bearish", "neutral", "bullish"]
LABELS: tuple[Label, ...] = ("bearish", "neutral", "bullish")


@dataclass(frozen=True, slots=True)
class Sentiment:
    """One text's sentiment: label, a score in [-1, 1], a confidence in [0, 1] and provenance."""

    label: Label
    score: float
    confidence: float
    backend: str
    model: str

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ValueError(f"unknown sentiment label {self.label!r}")
        if not -1.0 <= self.score <= 1.0:
            raise ValueError(f"sentiment score {self.score} outside [-1, 1]")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} outside [0, 1]")


@runtime_checkable
class SentimentBackend(Protocol):
    """Scores texts synchronously; callers run `score_batch` in a worker thread."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str: ...

    def score_batch(self, texts: list[str], languages: list[str]) -> list[Sentiment]: ...
