"""The pipeline's translation step: stored stories into the languages servers read.

Per direction needed (bot/translate/readers.py), the newest stories without a row for the
translator's model, at most TRANSLATION_PER_PASS per pass (the rest wait for the next pass,
newest first again). Model loading and generation run in the pipeline worker thread; rows
are stored through bot/translate/store.py. A failure here is logged and the pass goes on:
stories then show in their original language, as they did before translation existed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.config import ConfigError
from bot.i18n import Language
from bot.storage import Database
from bot.translate.engine import translate_articles
from bot.translate.readers import languages_read
from bot.translate.service import SOURCE_OF, Translators
from bot.translate.state import TranslationState, record_translation_state
from bot.translate.store import pending, save_translations
from bot.utils.workers import run_pipeline_work

log = logging.getLogger(__name__)


@dataclass
class TranslateReport:
    translated: int = 0  # status 'ok'
    fallbacks: int = 0
    targets: list[str] = field(default_factory=list)  # directions that ran, by target
    errors: list[str] = field(default_factory=list)
    per_target: dict[str, int] = field(default_factory=dict)  # stories stored, by target

    @property
    def stored(self) -> int:
        return self.translated + self.fallbacks


async def translate_pending(
    db: Database,
    translators: Translators,
    *,
    default_language: Language,
    limit: int,
    now: datetime | None = None,
    report: TranslateReport | None = None,
    reading: set[Language] | None = None,
) -> TranslateReport:
    """Translate up to `limit` stories per needed direction (fewer when `report` already
    counts some: one bound for several calls in a pass); record the state for /about.
    `reading` replaces the languages servers read (the demo, which has no servers)."""
    report = report or TranslateReport()
    await run_pipeline_work(translators.check)
    if reading is None:
        reading = await languages_read(db, default_language)
    for target in sorted(reading):
        left = limit - report.per_target.get(target, 0)
        if left <= 0 or translators.off_reason(target) is not None:
            continue
        try:
            await _direction(db, translators, target, left, report, now)
        except (ConfigError, asyncio.CancelledError):
            raise
        except Exception as exc:  # the model or the database: next pass tries again
            log.exception("translating into %s failed", target)
            report.errors.append(f"{target}: {type(exc).__name__}: {exc}")
    await record_translation_state(db, state_of(translators, reading, report))
    return report


async def _direction(
    db: Database,
    translators: Translators,
    target: str,
    limit: int,
    report: TranslateReport,
    now: datetime | None,
) -> None:
    translator = translators.translator(target)
    if translator is None:
        return
    todo = await pending(
        db,
        target_lang=target,
        model=translator.model,
        limit=limit,
        source_lang=SOURCE_OF[target],
    )
    if not todo:
        return
    # The first need loads the model (seconds), in the worker like the generation itself.
    if await run_pipeline_work(translators.load, target) is None:
        return
    results = await run_pipeline_work(translate_articles, translator, todo)
    await save_translations(db, results, now=now or datetime.now(UTC))
    if target not in report.targets:
        report.targets.append(target)
    report.per_target[target] = report.per_target.get(target, 0) + len(results)
    for r in results:
        if r.status == "ok":
            report.translated += 1
        else:
            report.fallbacks += 1
            log.info("translation of article %d kept the original: %s", r.article_id, r.problems)


def state_of(
    translators: Translators, reading: set[Language], report: TranslateReport
) -> TranslationState:
    models: dict[str, str] = {}
    off: dict[str, str] = {}
    for target in SOURCE_OF:
        reason = translators.off_reason(target)
        if reason is not None:
            off[target] = reason
            continue
        found = translators.translator(target)
        if found is not None:
            models[target] = found.model
    return TranslationState(
        mode=translators.settings.translation_enabled,
        on=bool(models),
        models=models,
        off=off,
        reading=sorted(reading),
        translated=report.translated,
        fallbacks=report.fallbacks,
        updated_at=datetime.now(UTC),
    )


class TranslationPass:
    """One pipeline pass's translation step, run after each publish round: the bound holds
    for the whole pass, and rounds never overlap."""

    def __init__(
        self, db: Database, translators: Translators, *, default_language: Language, limit: int
    ) -> None:
        self.db = db
        self.translators = translators
        self.default_language = default_language
        self.limit = limit
        self.report = TranslateReport()
        self._lock = asyncio.Lock()

    async def __call__(self) -> int:
        """Translate what is pending; returns how many stories got a row this round."""
        async with self._lock:
            before = self.report.stored
            await translate_pending(
                self.db,
                self.translators,
                default_language=self.default_language,
                limit=self.limit,
                report=self.report,
            )
            return self.report.stored - before
