"""The translators a process uses, from the settings: which directions, loaded when, or why not.

TRANSLATION_ENGINE picks the inference engine: CTranslate2 (bot/translate/ct2.py, converted
from the checkpoint) or torch (bot/translate/marian.py); `auto` takes CTranslate2 when it is
installed. TRANSLATION_ENABLED=auto: a model that is not downloaded switches its direction
off with one warning the first time it is wanted (a cheap local-files check, no load); `on`:
the same raises ConfigError, so the pass fails loudly; `off`: nothing is ever loaded. Models
load on first use, in the pipeline worker thread, and stay loaded.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from bot.config import ConfigError, Settings
from bot.translate.ct2 import Ct2Translator
from bot.translate.ct2_convert import converted
from bot.translate.engine import Translator
from bot.translate.marian import MarianTranslator, TranslatorLoadError

log = logging.getLogger(__name__)

# target language -> source language: the two directions there are.
SOURCE_OF = {"nl": "en", "en": "nl"}

Factory = Callable[[str, str], Translator]  # (source, target) -> translator
Engine = Literal["ctranslate2", "torch"]
ModelTranslator = MarianTranslator | Ct2Translator


def engine_of(settings: Settings) -> Engine:
    """TRANSLATION_ENGINE, with `auto` resolved: CTranslate2 when it is installed."""
    if settings.translation_engine != "auto":
        return settings.translation_engine
    return "ctranslate2" if importlib.util.find_spec("ctranslate2") is not None else "torch"


def model_files_present(model_id: str, cache_dir: Path | None) -> bool:
    """Whether a model's config is on disk (a folder, or the hub cache); never goes online."""
    folder = Path(model_id).expanduser()
    if folder.is_dir():
        return (folder / "config.json").is_file()
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(
            model_id, "config.json", cache_dir=str(cache_dir) if cache_dir else None
        )
    except Exception:  # a malformed id: not present
        return False
    return isinstance(found, str)


class Translators:
    def __init__(self, settings: Settings, factory: Factory | None = None) -> None:
        self.settings = settings
        self._factory = factory or self._marian
        self._custom = factory is not None  # tests: no model files to look for
        self._translators: dict[str, Translator] = {}
        self._off: dict[str, str] = {}  # target -> why that direction is off
        self._lock = threading.Lock()
        self._checked = False
        if settings.translation_enabled == "off":
            self._off = {t: "TRANSLATION_ENABLED=off" for t in SOURCE_OF}

    def model_id(self, target: str) -> str:
        s = self.settings
        return s.translation_model_en_nl if target == "nl" else s.translation_model_nl_en

    def _marian(self, source: str, target: str) -> Translator:
        return self.build(target)

    def build(self, target: str) -> ModelTranslator:
        """The configured translator into `target`, not loaded, whatever TRANSLATION_ENABLED
        says (the CLI: a person asked for it), on the configured engine."""
        s = self.settings
        engine = Ct2Translator if engine_of(s) == "ctranslate2" else MarianTranslator
        return engine(
            self.model_id(target),
            SOURCE_OF[target],
            target,
            beams=s.translation_beams,
            threads=s.translation_threads or s.torch_threads,
            cache_dir=s.hf_cache_dir,
            quantized=s.translation_quantize,
        )

    def convert(self, target: str) -> Path | None:
        """On the CTranslate2 engine, the converted model into `target` (converting it now
        if needed: `models download` does, so the first pass need not); None on torch."""
        if engine_of(self.settings) != "ctranslate2":
            return None
        quantization = "int8" if self.settings.translation_quantize else "float32"
        return converted(
            self.model_id(target), self.settings.hf_cache_dir, quantization=quantization
        )

    def off_reason(self, target: str) -> str | None:
        return self._off.get(target)

    def check(self) -> None:
        """Once per process: switch off each direction whose model is not on disk, with one
        warning for all (ConfigError with TRANSLATION_ENABLED=on). Cheap: no model loads."""
        with self._lock:
            if self._checked:
                return
            self._checked = True
            if self._custom or self.settings.translation_enabled == "off":
                return
            missing = {
                t: f"model {self.model_id(t)} not downloaded"
                for t in SOURCE_OF
                if not model_files_present(self.model_id(t), self.settings.hf_cache_dir)
            }
            if missing:
                self._switch_off(missing)

    def translator(self, target: str) -> Translator | None:
        """The translator into `target` (maybe not loaded yet), or None when that direction
        is off."""
        self.check()
        with self._lock:
            if target in self._off:
                return None
            found = self._translators.get(target)
            if found is None:
                found = self._translators[target] = self._factory(SOURCE_OF[target], target)
            return found

    def load(self, target: str) -> Translator | None:
        """`translator(target)`, loaded now (blocking: call it in the pipeline worker)."""
        found = self.translator(target)
        if isinstance(found, MarianTranslator | Ct2Translator) and not found.loaded:
            try:
                found.load()
            except TranslatorLoadError as exc:
                with self._lock:
                    self._translators.pop(target, None)
                    self._switch_off({target: str(exc)})
                return None
        return found

    def _switch_off(self, reasons: dict[str, str]) -> None:
        why = "; ".join(reasons.values())
        if self.settings.translation_enabled == "on":
            raise ConfigError(
                f"TRANSLATION_ENABLED=on but {why} (run `python -m bot models download`)"
            )
        self._off.update(reasons)
        log.warning(
            "translation into %s is off: %s; those readers see stories in their original "
            "language (run `python -m bot models download` to fetch the models)",
            " and ".join(sorted(reasons)),
            why,
        )
