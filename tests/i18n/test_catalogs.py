"""The catalogs are complete: every marked string has a Dutch translation with the same
placeholders, and the template holds everything `pybabel extract` finds in the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, _, fmt_date, fmt_number, fmt_percent, use_language

REPO = LOCALES_DIR.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "T": None, "locale_str": None}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def extracted_ids() -> set[str]:
    """Catalog keys of every marked string: the msgid (the singular for plural forms)."""
    found: set[str] = set()
    for folder in ("bot", "cogs"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            REPO / folder,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def placeholders(text: str) -> list[str]:
    return sorted(m.group(0) if not m.group(1) else m.group(1) for m in PLACEHOLDER.finditer(text))


@pytest.fixture(scope="module")
def dutch() -> Catalog:
    return read_catalog(LOCALES_DIR / "nl" / "LC_MESSAGES" / "messages.po")


def test_every_marked_string_has_a_dutch_translation(dutch: Catalog) -> None:
    def translated(key: str) -> bool:
        message = dutch.get(key)
        if message is None:
            return False
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        return all(strings)

    missing = sorted(key for key in extracted_ids() if not translated(key))
    assert missing == [], f"untranslated: {missing}"


def test_dutch_placeholders_match_the_source(dutch: Catalog) -> None:
    wrong = []
    for message in dutch:
        if not message.id or not message.string:
            continue
        if isinstance(message.id, tuple):
            # Plural forms: the plural must use exactly the source's placeholders; the
            # singular may leave the number out ("het afgelopen uur") but add none.
            source = placeholders(message.id[1])
            *singulars, plural = message.string
            if placeholders(plural) != source:
                wrong.append((message.id[1], plural))
            wrong += [
                (message.id[0], s) for s in singulars if not set(placeholders(s)) <= set(source)
            ]
        elif placeholders(message.id) != placeholders(message.string):
            wrong.append((message.id, message.string))
    assert wrong == []


def test_template_holds_everything_extract_finds() -> None:
    template = {m.id for m in read_catalog(LOCALES_DIR / "messages.pot") if m.id}
    flat = {t if isinstance(t, str) else t[0] for t in template}
    assert sorted(extracted_ids() - flat) == []


def test_no_fuzzy_or_obsolete_dutch_entries(dutch: Catalog) -> None:
    assert [m.id for m in dutch if m.id and m.fuzzy] == []


def test_reply_text_and_formatting_follow_the_language() -> None:
    with use_language("nl"):
        assert _("Something went wrong.") != "Something went wrong."
        assert fmt_number(1234.5) == "1.234,50"
        assert fmt_percent(0.125, signed=True) == "+12,5%"
    assert _("Something went wrong.") == "Something went wrong."
    assert fmt_number(1234.5) == "1,234.50"
    from datetime import date

    with use_language("nl"):
        assert fmt_date(date(2026, 11, 24), "full") == "dinsdag 24 november 2026"
