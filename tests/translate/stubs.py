"""Stub translators: no torch, fixed behaviour, every call recorded."""

from __future__ import annotations

from collections.abc import Callable

from bot.translate.engine import Generated


class StubTranslator:
    """Translates by `rule` (default: a marker word in front, so the output is "different")."""

    def __init__(
        self,
        source_lang: str = "en",
        target_lang: str = "nl",
        rule: Callable[[str], Generated] | None = None,
        model: str = "stub@test",
    ) -> None:
        self.source_lang = source_lang
        self.target_lang = target_lang
        self._model = model
        self.rule = rule or (lambda text: Generated(f"NL {text}"))
        self.calls: list[list[str]] = []

    @property
    def model(self) -> str:
        return self._model

    def translate(self, texts: list[str]) -> list[Generated]:
        self.calls.append(list(texts))
        return [self.rule(t) for t in texts]
