"""Discord permission names as its client shows them, for messages that name a missing one."""

from __future__ import annotations

from bot.i18n import N_, _

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
