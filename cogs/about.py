"""/about: version, sources, sentiment backend, data freshness, disclaimer."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as T
from discord.ext import commands

from bot.discord.client import CryptoBot
from bot.discord.embeds.about import about_embed
from bot.discord.respond import reply


class AboutCog(commands.Cog):
    def __init__(self, bot: CryptoBot) -> None:
        self.bot = bot

    @app_commands.command(name=T("about"), description=T("What this bot does and its sources"))
    async def about(self, interaction: discord.Interaction) -> None:
        info = await self.bot.services.reads.about(interaction.guild_id)
        backend = await self.bot.services.sentiment_name()
        translate = await self.bot.languages.translate_for(interaction.guild_id)
        await reply(interaction, embed=about_embed(info, backend, translate), ephemeral=True)


async def setup(bot: CryptoBot) -> None:
    await bot.add_cog(AboutCog(bot))
