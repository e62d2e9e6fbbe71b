"""/feeds list as an embed."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.discord.render import EmbedBuilder, safe
from bot.guilds.feed_status import feed_problem
from bot.guilds.feeds import GuildFeed
from bot.i18n import _

FLAGS = {"nl": "🇳🇱", "en": "🇬🇧"}


def _line(feed: GuildFeed) -> str:
    problem = feed_problem(feed.status, feed.error) if feed.active else None
    mark = "⛔" if not feed.active else "⚠️" if problem else "✅"
    line = f"{mark} {FLAGS.get(feed.language, feed.language)} {safe(feed.name, 80)}"
    return f"{line} · {problem}" if problem else line


def feeds_embed(rows: Sequence[GuildFeed]) -> discord.Embed:
    builder = EmbedBuilder(_("News feeds on this server"))
    defaults = [f for f in rows if f.is_default]
    own = [f for f in rows if not f.is_default]
    builder.add_field(_("Default feeds"), "\n".join(map(_line, defaults)) or "-")
    builder.add_field(_("Added by this server"), "\n".join(map(_line, own)) or _("none yet"))
    return builder.footer(
        _("⛔ = switched off here, ⚠️ = its last fetch failed. Manage with /feeds add and remove.")
    )
