"""/news as an embed: one field per story, badge, summary, sources and coins."""

from __future__ import annotations

import discord

from bot.compose.news import NewsBrief
from bot.discord.render import EmbedBuilder, safe
from bot.i18n import _, ngettext
from bot.labels import badge, origin_label
from bot.text_limits import clip

SUMMARY_CHARS = 220


def news_embed(brief: NewsBrief, backend: str) -> discord.Embed:
    period = ngettext("last %(hours)d hour", "last %(hours)d hours", brief.hours) % {
        "hours": brief.hours
    }
    if brief.coin:
        title = _("%(coin)s news, %(period)s") % {"coin": brief.coin, "period": period}
    else:
        title = _("Top crypto news, %(period)s") % {"period": period}
    builder = EmbedBuilder(title)
    if not brief.items:
        builder.embed.description = _("No stories in this period yet.")
    for item in brief.items:
        story, text = item.story, item.text
        sources = ", ".join(safe(s, 60) for s in story.sources[:4])
        if len(story.sources) > 4:
            sources += f" +{len(story.sources) - 4}"
        lines = [safe(clip(text.summary, SUMMARY_CHARS), SUMMARY_CHARS + 40)]
        if origin := origin_label(text.shown, text.language):
            lines.append(f"🌐 *{origin}*")
        # The link always leads to the original article, translated or not.
        link = text.link.replace(")", "%29")
        meta = f"[{sources}]({link})" if link.startswith("http") else sources
        if story.coins:
            meta += " · " + " ".join(story.coins[:5])
        lines.append(meta)
        name = f"{badge(item.mood.label if item.mood else None)} {safe(text.title, 240)}"
        if not builder.add_field(name, "\n".join(lines)):
            break
    # Discord shows the embed timestamp in each reader's own time zone.
    builder.embed.timestamp = brief.now
    return builder.footer(_("Sentiment: %(backend)s") % {"backend": backend})
