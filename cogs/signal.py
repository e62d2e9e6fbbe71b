"""/signal: the Russell 2000 breakout report with its chart."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as T
from discord.ext import commands

from bot.discord.client import CryptoBot
from bot.discord.embeds.signal import CHART_NAME, signal_embed
from bot.discord.render import RenderMemo
from bot.discord.respond import followup_with_file
from bot.i18n import current_language


class SignalCog(commands.Cog):
    def __init__(self, bot: CryptoBot) -> None:
        self.bot = bot
        self._rendered = RenderMemo()

    @app_commands.command(
        name=T("signal"), description=T("The Russell 2000 breakout signal and crypto context")
    )
    async def signal(self, interaction: discord.Interaction) -> None:
        # The chart takes a few hundred milliseconds to draw: answer Discord first.
        await interaction.response.defer(thinking=True)
        reads = self.bot.services.reads
        report = await reads.signal(self.bot.settings)  # one per data version
        language = current_language.get()
        png = await reads.signal_chart(report, language)
        embed = self._rendered.embed(
            report, language, lambda: signal_embed(report, with_chart=True)
        )
        await followup_with_file(interaction, png, CHART_NAME, embed=embed)


async def setup(bot: CryptoBot) -> None:
    await bot.add_cog(SignalCog(bot))
