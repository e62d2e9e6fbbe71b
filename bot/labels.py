"""Names the core and the Discord layer both show: sentiment badges and labels, permissions.

Plain text only (no discord import), so digest and report text can use them too.
"""

from __future__ import annotations

from typing import Literal

from babel import Locale

from bot.i18n import BABEL_LOCALES, N_, _, current_language

BADGES = {"bullish": "🟢", "neutral": "⚪", "bearish": "🔴"}
LABEL_NAMES = {"bullish": N_("bullish"), "neutral": N_("neutral"), "bearish": N_("bearish")}
DISCLAIMER = N_("Not financial advice.")


def badge(label: str | None) -> str:
    return BADGES.get(label or "", "▫️")


def label_name(label: str) -> str:
    return _(LABEL_NAMES[label])


# Discord permission names as its client shows them, for messages that name a missing one.
PERMISSION_NAMES = {
    "manage_guild": N_("Manage Server"),
    "view_channel": N_("View Channel"),
    "send_messages": N_("Send Messages"),
    "send_messages_in_threads": N_("Send Messages in Threads"),
    "embed_links": N_("Embed Links"),
    "attach_files": N_("Attach Files"),
    "read_message_history": N_("Read Message History"),
}


def permission_label(name: str) -> str:
    """'embed_links' -> 'Embed Links' / 'Links insluiten' in the current language."""
    known = PERMISSION_NAMES.get(name)
    return _(known) if known else name.replace("_", " ").title()


# How a story's text relates to the reader's language (bot.compose.localize decides).
Shown = Literal["native", "translated", "pending", "original"]

_TRANSLATED_FROM = {
    "en": N_("Machine-translated from English"),
    "nl": N_("Machine-translated from Dutch"),
}
_PENDING = {"en": N_("In English, not yet translated"), "nl": N_("In Dutch, not yet translated")}
_ORIGINAL = {"en": N_("In English"), "nl": N_("In Dutch")}


def origin_label(shown: str, language: str) -> str:
    """The short note under a story not written in the reader's language, e.g. 'Automatisch
    vertaald uit het Engels'; empty for a story in the reader's own language."""
    if shown == "native":
        return ""
    head = language.replace("_", "-").split("-")[0].lower()
    table = {"translated": _TRANSLATED_FROM, "pending": _PENDING}.get(shown, _ORIGINAL)
    if head in table:
        return _(table[head])
    name = language_name(head)
    if shown == "translated":
        return _("Machine-translated from %(language)s") % {"language": name}
    if shown == "pending":
        return _("In %(language)s, not yet translated") % {"language": name}
    return _("In %(language)s") % {"language": name}


def language_name(code: str) -> str:
    """A language's name in the current language ('Duits'), babel's CLDR names."""
    try:
        locale = Locale.parse(BABEL_LOCALES[current_language.get()])
        return str(locale.languages.get(code, code))
    except (ValueError, KeyError):
        return code
