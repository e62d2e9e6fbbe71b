"""The daily digest and breakout alerts as embeds (same words as the terminal digest)."""

from __future__ import annotations

import discord

from bot.delivery.alerts import alert_lines, alert_title
from bot.delivery.messages import AlertEvent
from bot.digest.model import Digest
from bot.digest.text import (
    basis_text,
    coin_text,
    footer_text,
    macro_lines,
    mood_text,
    story_detail,
    title_text,
)
from bot.discord.render import BRAND, EmbedBuilder, safe
from bot.i18n import _
from bot.labels import badge


def digest_embed(digest: Digest, marker: str | None = None) -> discord.Embed:
    """Call inside `use_language(digest.language)`."""
    description = mood_text(digest.mood)
    if basis := basis_text(digest.mood):
        description += "\n" + basis
    builder = EmbedBuilder(title_text(digest), description, BRAND)
    if not digest.stories:
        builder.add_field(_("Top stories"), _("No stories in the last 24 hours yet."))
    for story in digest.stories:
        link = story.link.replace(")", "%29")
        detail = safe(story_detail(story), 900)
        if link.startswith("http"):
            more = _("Read more")
            detail += f"\n[{more}]({link})"
        builder.add_field(f"{badge(story.label)} {safe(story.title, 240)}", detail)
    if digest.coins:
        builder.add_field(_("Most mentioned coins"), "\n".join(coin_text(c) for c in digest.coins))
    if digest.macro is not None:
        builder.add_field(_("Macro"), "\n".join("• " + line for line in macro_lines(digest.macro)))
    builder.embed.timestamp = digest.generated_at
    return builder.footer(footer_text(marker))


def alert_embed(event: AlertEvent, marker: str | None = None) -> discord.Embed:
    """Call inside `use_language(...)` for the receiving server."""
    builder = EmbedBuilder(alert_title(event), "\n\n".join(alert_lines(event)), BRAND)
    builder.embed.timestamp = event.at
    text = _("Not financial advice.")
    return builder.footer(f"{text} · ref {marker}" if marker else text)
