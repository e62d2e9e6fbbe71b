"""/language set|show|translate: the server's reply language and its machine translations."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as T
from discord.ext import commands

from bot.discord.client import CryptoBot
from bot.discord.render import NO_MENTIONS
from bot.discord.respond import reply
from bot.guilds.settings import translate_reply, translate_state
from bot.i18n import Language, _, current_language, use_language

LANGUAGE_NAMES: dict[str, str] = {"en": "English", "nl": "Nederlands"}


class LanguageCog(commands.Cog):
    language = app_commands.Group(
        name=T("language"),
        description=T("The language the bot replies in on this server"),
        guild_only=True,
    )

    def __init__(self, bot: CryptoBot) -> None:
        self.bot = bot

    @language.command(name=T("set"), description=T("Choose the server's reply language"))
    @app_commands.describe(language=T("English or Dutch"))
    @app_commands.rename(language=T("language"))
    @app_commands.choices(
        language=[
            app_commands.Choice(name="English", value="en"),
            app_commands.Choice(name="Nederlands", value="nl"),
        ]
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def set_language(self, interaction: discord.Interaction, language: str) -> None:
        assert interaction.guild_id is not None  # guild_only
        chosen: Language = "nl" if language == "nl" else "en"
        await self.bot.languages.set(interaction.guild_id, chosen)
        # Reply in the language just chosen: the switch takes effect at once.
        with use_language(chosen):
            text = _("Done: I will reply in %(language)s on this server.") % {
                "language": LANGUAGE_NAMES[chosen]
            }
        await interaction.response.send_message(text, allowed_mentions=NO_MENTIONS)

    @language.command(
        name=T("translate"),
        description=T("Show stories from other languages machine-translated, or as written"),
    )
    @app_commands.describe(state=T("On: translated stories; off: originals"))
    @app_commands.rename(state=T("state"))
    @app_commands.choices(
        state=[
            app_commands.Choice(name=T("on"), value="on"),
            app_commands.Choice(name=T("off"), value="off"),
        ]
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def set_translate(self, interaction: discord.Interaction, state: str) -> None:
        assert interaction.guild_id is not None  # guild_only
        on = state == "on"
        await self.bot.languages.set_translate(interaction.guild_id, on)
        await interaction.response.send_message(translate_reply(on), allowed_mentions=NO_MENTIONS)

    @language.command(name=T("show"), description=T("Show the server's reply language"))
    async def show_language(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        stored = await self.bot.languages.stored(interaction.guild_id)
        name = LANGUAGE_NAMES[current_language.get()]
        if stored:
            text = _("This server's reply language is %(language)s.") % {"language": name}
        else:
            text = _(
                "This server's reply language is %(language)s (from the server's locale; "
                "change it with /language set)."
            ) % {"language": name}
        on = await self.bot.languages.translate_for(interaction.guild_id)
        await reply(interaction, f"{text}\n{translate_state(on)}", ephemeral=True)


async def setup(bot: CryptoBot) -> None:
    await bot.add_cog(LanguageCog(bot))
