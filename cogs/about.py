"""/about: version, sources, sentiment backend, data freshness, disclaimer."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as T
from discord.ext import commands

from bot.discord.client import CryptoBot
from bot.discord.embeds.about import about_embed
from bot.discord.render import RenderMemo
from bot.discord.respond import reply
from bot.i18n import current_language


class AboutCog(commands.Cog):
    def __init__(self, bot: CryptoBot) -> None:
        self.bot = bot
        self._rendered = RenderMemo()

    @app_commands.command(name=T("about"), description=T("What this bot does and its sources"))
    async def about(self, interaction: discord.Interaction) -> None:
        info = await self.bot.services.reads.about(interaction.guild_id)
        backend = await self.bot.services.sentiment_name()
        translate = await self.bot.languages.translate_for(interaction.guild_id)
        # One embed per cached answer, language, backend and translation switch.
        embed = self._rendered.embed(
            info,
            (current_language.get(), backend, translate),
            lambda: about_embed(info, backend, translate),
        )
        await reply(interaction, embed=embed, ephemeral=True)


async def setup(bot: CryptoBot) -> None:
    await bot.add_cog(AboutCog(bot))
