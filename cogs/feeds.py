"""/feeds list|add|remove: a server's own feeds on top of the defaults."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.app_commands import locale_str as T
from discord.ext import commands

from bot.discord.client import CryptoBot
from bot.discord.embeds.feeds import feeds_embed
from bot.discord.render import NO_MENTIONS, RenderMemo, safe
from bot.discord.respond import reply
from bot.errors import BadInput
from bot.guilds.adding import add_feed_from_url
from bot.guilds.feeds import remove_guild_feed
from bot.i18n import N_, _, current_language, ngettext


class FeedsCog(commands.Cog):
    feeds = app_commands.Group(
        name=T("feeds"), description=T("The news feeds this server follows"), guild_only=True
    )

    def __init__(self, bot: CryptoBot) -> None:
        self.bot = bot
        self._rendered = RenderMemo()

    @feeds.command(name=T("list"), description=T("Show this server's feeds"))
    async def list_feeds(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        # Cached per server until its list changes here or a pass publishes (feed states).
        rows = await self.bot.services.reads.guild_feeds(interaction.guild_id)
        embed = self._rendered.embed(rows, current_language.get(), lambda: feeds_embed(rows))
        await reply(interaction, embed=embed, ephemeral=True)

    @feeds.command(name=T("add"), description=T("Add an RSS or Atom feed for this server"))
    @app_commands.rename(url=T("url"))
    @app_commands.describe(url=T("The feed's address, starting with https://"))
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def add_feed(self, interaction: discord.Interaction, url: str) -> None:
        assert interaction.guild_id is not None
        if len(url) > 500:
            raise BadInput(N_("That address is too long."))
        # Fetching and validating can take seconds: answer Discord first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.bot.services
        added = await add_feed_from_url(
            services.db,
            services.feeds_http,
            services.settings,
            guild_id=interaction.guild_id,
            user_id=interaction.user.id,
            url=url,
            now=datetime.now(UTC),
        )
        services.reads.feeds_changed(interaction.guild_id)  # this server reads the new list
        text = ngettext(
            "Added **%(name)s** (%(language)s, %(entries)d item). "
            "New stories appear after the next fetch.",
            "Added **%(name)s** (%(language)s, %(entries)d items). "
            "New stories appear after the next fetch.",
            added.check.entry_count,
        ) % {
            "name": safe(added.feed.name, 100),
            "language": added.feed.language,
            "entries": added.check.entry_count,
        }
        await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)

    @feeds.command(name=T("remove"), description=T("Remove a feed, or switch a default one off"))
    @app_commands.rename(feed=T("feed"))
    @app_commands.describe(feed=T("The feed to remove"))
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def remove_feed(self, interaction: discord.Interaction, feed: str) -> None:
        assert interaction.guild_id is not None
        if not feed.isdigit():
            raise BadInput(N_("Pick a feed from the list."))
        removed = await remove_guild_feed(self.bot.services.db, interaction.guild_id, int(feed))
        self.bot.services.reads.feeds_changed(interaction.guild_id)
        if removed.is_default:
            text = _(
                "Switched off **%(name)s** for this server. "
                "/feeds add with its address brings it back."
            )
        else:
            text = _("Removed **%(name)s**.")
        await interaction.response.send_message(
            text % {"name": safe(removed.name, 100)}, ephemeral=True
        )

    @remove_feed.autocomplete("feed")
    async def feed_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        rows = await self.bot.services.reads.guild_feeds(interaction.guild_id)
        needle = current.lower()
        return [
            app_commands.Choice(name=f"{f.name} ({f.language})"[:100], value=str(f.id))
            for f in rows
            if f.active and (needle in f.name.lower() or needle in f.url.lower())
        ][:25]


async def setup(bot: CryptoBot) -> None:
    await bot.add_cog(FeedsCog(bot))
