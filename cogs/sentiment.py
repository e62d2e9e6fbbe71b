"""/sentiment [coin] [period]: the mood of the news, with its basis."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.app_commands import locale_str as T
from discord.ext import commands

from bot.discord.client import CryptoBot
from bot.discord.embeds.sentiment import sentiment_embed
from bot.discord.render import RenderMemo
from bot.discord.respond import reply
from bot.i18n import current_language
from bot.news.coins import parse_coin
from cogs._common import coin_choices


class SentimentCog(commands.Cog):
    def __init__(self, bot: CryptoBot) -> None:
        self.bot = bot
        self._rendered = RenderMemo()

    @app_commands.command(
        name=T("sentiment"), description=T("The mood of the crypto news over a period")
    )
    @app_commands.rename(coin=T("coin"), period=T("period"))
    @app_commands.describe(
        coin=T("Only articles about this coin, e.g. ETH"),
        period=T("24 hours, 7 days or 30 days (default 24 hours)"),
    )
    @app_commands.choices(
        period=[
            app_commands.Choice(name=T("24 hours"), value="24h"),
            app_commands.Choice(name=T("7 days"), value="7d"),
            app_commands.Choice(name=T("30 days"), value="30d"),
        ]
    )
    async def sentiment(
        self, interaction: discord.Interaction, coin: str | None = None, period: str = "24h"
    ) -> None:
        ticker = parse_coin(coin)
        summary = await self.bot.services.reads.sentiment(
            interaction.guild_id, now=datetime.now(UTC), period=period, coin=ticker
        )
        embed = self._rendered.embed(
            summary, current_language.get(), lambda: sentiment_embed(summary)
        )
        await reply(interaction, embed=embed)

    @sentiment.autocomplete("coin")
    async def coin_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await coin_choices(self.bot.services, interaction.guild_id, current)


async def setup(bot: CryptoBot) -> None:
    await bot.add_cog(SentimentCog(bot))
