"""Names the core and the Discord layer both show: sentiment badges and labels, permissions.

Plain text only (no discord import), so digest and report text can use them too.
"""

from __future__ import annotations

from bot.i18n import N_, _

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
