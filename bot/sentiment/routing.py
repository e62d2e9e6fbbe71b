"""Send each text to the backend for its language (SENTIMENT_MODEL_NL next to the default)."""

from __future__ import annotations

from bot.sentiment.types import Sentiment, SentimentBackend


class LanguageRoutes:
    """A default backend plus per-language ones; results keep each backend's provenance."""

    def __init__(self, default: SentimentBackend, routes: dict[str, SentimentBackend]) -> None:
        self.default = default
        self.routes = routes

    @property
    def name(self) -> str:
        return self.default.name

    @property
    def model(self) -> str:
        extra = "".join(f" {lang}={b.model}" for lang, b in sorted(self.routes.items()))
        return self.default.model + extra

    def load(self) -> None:
        for backend in [self.default, *self.routes.values()]:
            load = getattr(backend, "load", None)
            if load is not None:
                load()

    def score_batch(self, texts: list[str], languages: list[str]) -> list[Sentiment]:
        if len(texts) != len(languages):
            raise ValueError("texts and languages differ in length")
        results: list[Sentiment | None] = [None] * len(texts)
        groups: dict[str, list[int]] = {}
        for i, language in enumerate(languages):
            groups.setdefault(language if language in self.routes else "", []).append(i)
        for language, indices in groups.items():
            backend = self.routes.get(language, self.default)
            scored = backend.score_batch(
                [texts[i] for i in indices], [languages[i] for i in indices]
            )
            for i, sentiment in zip(indices, scored, strict=True):
                results[i] = sentiment
        return [r for r in results if r is not None]
