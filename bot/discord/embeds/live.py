"""A live post as an embed: one story, or one "N more stories" list of what the cap held."""

from __future__ import annotations

import discord

from bot.compose.live import MORE_LISTED, LiveStory, language_note, more_title
from bot.discord.render import BEARISH, BRAND, BULLISH, NEUTRAL, EmbedBuilder, safe
from bot.i18n import Language, _
from bot.labels import badge, label_name
from bot.text_limits import LINK_CHARS

COLOURS = {"bullish": BULLISH, "bearish": BEARISH, "neutral": NEUTRAL}
SUMMARY_CHARS = 1000


def _link(url: str) -> str | None:
    return url.replace(")", "%29") if url.startswith("http") and len(url) <= LINK_CHARS else None


def _footer(marker: str | None, note: str | None = None) -> str:
    parts = [p for p in (note, f"ref {marker}" if marker else None) if p]
    return " · ".join(parts)


def live_embed(story: LiveStory, reader: Language, marker: str | None = None) -> discord.Embed:
    """Call inside `use_language(reader)`."""
    colour = COLOURS.get(story.label or "", BRAND)
    builder = EmbedBuilder(safe(story.title, 250), safe(story.summary, SUMMARY_CHARS), colour)
    builder.embed.url = _link(story.link)
    sources = ", ".join(safe(s, 60) for s in story.sources[:8])
    if len(story.sources) > 8:
        sources += f" +{len(story.sources) - 8}"
    builder.add_field(_("Sources"), sources, inline=True)
    if story.coins:
        builder.add_field(_("Coins"), " ".join(story.coins[:8]), inline=True)
    if story.label:
        builder.add_field(
            _("Sentiment"), f"{badge(story.label)} {label_name(story.label)}", inline=True
        )
    builder.embed.timestamp = story.published_at
    return builder.footer(_footer(marker, language_note(story, reader)))


def more_embed(
    stories: tuple[LiveStory, ...], reader: Language, marker: str | None = None
) -> discord.Embed:
    """Call inside `use_language(reader)`."""
    lines = []
    for story in stories[:MORE_LISTED]:
        title = safe(story.title, 150)
        link = _link(story.link)
        lines.append(
            f"{badge(story.label)} [{title}]({link})" if link else f"{badge(story.label)} {title}"
        )
    if len(stories) > MORE_LISTED:
        lines.append(_("…and %(n)d more") % {"n": len(stories) - MORE_LISTED})
    description = ""
    for line in lines:  # whole lines only: a cut link would point elsewhere
        if len(description) + len(line) + 1 > 4000:
            break
        description += line + "\n"
    builder = EmbedBuilder(more_title(len(stories)), description, BRAND)
    return builder.footer(_footer(marker, _("This channel's limit on live posts was reached.")))
