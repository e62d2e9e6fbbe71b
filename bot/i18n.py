"""Reply-text translation (gettext catalogs in `locales/`) and babel formatting.

The active language lives in a ContextVar: each interaction and each digest delivery sets it
(`use_language`), so concurrent tasks never see each other's language. Source strings are
English; `nl` comes from `locales/nl/LC_MESSAGES/messages.po`, read directly with babel (no
compiled `.mo` to go stale).
"""

from __future__ import annotations

import gettext
import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

Language = Literal["en", "nl"]
LANGUAGES: tuple[Language, ...] = ("en", "nl")
DOMAIN = "messages"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
# Babel locales used for formatting: Dutch as written in the Netherlands.
BABEL_LOCALES: dict[str, str] = {"en": "en_US", "nl": "nl_NL"}

current_language: ContextVar[Language] = ContextVar("current_language", default="en")


def normalize_language(value: str | None, default: Language = "en") -> Language:
    """Map a Discord locale ('nl', 'en-US', 'en-GB') or a setting to a supported language."""
    if value:
        head = value.replace("_", "-").split("-")[0].lower()
        if head in LANGUAGES:
            return head
    return default


@cache
def translations(language: str) -> gettext.NullTranslations:
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == "en" or not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def _(message: str) -> str:
    """Translate into the current language."""
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (module-level constants)."""
    return message


def translate(message: str, language: str) -> str:
    return translations(language).gettext(message)


@contextmanager
def use_language(language: Language) -> Iterator[None]:
    token = current_language.set(language)
    try:
        yield
    finally:
        current_language.reset(token)


@cache
def _babel_locale(language: Language) -> Locale:
    return Locale.parse(BABEL_LOCALES[language])


def _locale() -> Locale:
    # Parsed once per language: Locale.parse costs about half of a short number's formatting
    # (the /signal and /about embeds format dozens of numbers and dates per answer).
    return _babel_locale(current_language.get())


def fmt_number(value: float, digits: int = 2) -> str:
    """1.234,56 in Dutch, 1,234.56 in English."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return numbers.format_decimal(value, format=pattern, locale=_locale())


def fmt_percent(value: float, digits: int = 1, signed: bool = False) -> str:
    """A fraction (0.123) as a percentage: 12,3% / 12.3%; signed adds +/−."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    if signed:
        pattern = "+" + pattern + ";-" + pattern
    return numbers.format_percent(value, format=pattern, locale=_locale())


def fmt_date(value: date | datetime, format: str = "long") -> str:
    """24 november 2026 / November 24, 2026 (format: short, medium, long, full)."""
    return dates.format_date(value, format=format, locale=_locale())


def fmt_datetime(value: datetime, format: str = "medium") -> str:
    return dates.format_datetime(value, format=format, locale=_locale(), tzinfo=value.tzinfo)


def fmt_time(value: datetime, format: str = "short") -> str:
    return dates.format_time(value, format=format, locale=_locale(), tzinfo=value.tzinfo)


def fmt_in(delta: timedelta) -> str:
    """How long until something, from now: "in 8 minutes" / "over 8 minuten".

    Rounded UP to the unit shown (seconds, minutes, hours, days), so waiting as long as it
    says is always enough."""
    seconds = max(1, math.ceil(delta.total_seconds()))
    for unit in (86_400, 3_600, 60):
        if seconds >= unit:
            seconds = math.ceil(seconds / unit) * unit
            break
    return dates.format_timedelta(
        timedelta(seconds=seconds), add_direction=True, threshold=1, locale=_locale()
    )
