"""/news [coin] [hours] [language]: the top stories, read from the store (milliseconds)."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.app_commands import locale_str as T
from discord.ext import commands

from bot.discord.client import CryptoBot
from bot.discord.embeds.news import news_embed
from bot.discord.render import RenderMemo
from bot.discord.respond import reply
from bot.i18n import current_language
from bot.news.coins import parse_coin
from cogs._common import coin_choices


class NewsCog(commands.Cog):
    def __init__(self, bot: CryptoBot) -> None:
        self.bot = bot
        self._rendered = RenderMemo()

    @app_commands.command(name=T("news"), description=T("The top crypto stories of a period"))
    @app_commands.rename(coin=T("coin"), hours=T("hours"), language=T("language"))
    @app_commands.describe(
        coin=T("Only stories about this coin, e.g. BTC"),
        hours=T("How many hours back (default 24)"),
        language=T("Which sources: any, English or Dutch"),
    )
    @app_commands.choices(
        language=[
            app_commands.Choice(name=T("any"), value="any"),
            app_commands.Choice(name="English", value="en"),
            app_commands.Choice(name="Nederlands", value="nl"),
        ]
    )
    async def news(
        self,
        interaction: discord.Interaction,
        coin: str | None = None,
        hours: app_commands.Range[int, 1, 168] = 24,
        language: str = "any",
    ) -> None:
        ticker = parse_coin(coin)
        brief = await self.bot.services.reads.news(
            interaction.guild_id,
            now=datetime.now(UTC),
            hours=hours,
            coin=ticker,
            language=None if language == "any" else language,
            reader=current_language.get(),
            translate=await self.bot.languages.translate_for(interaction.guild_id),
        )
        backend = await self.bot.services.sentiment_name()
        embed = self._rendered.embed(
            brief, (current_language.get(), backend), lambda: news_embed(brief, backend)
        )
        await reply(interaction, embed=embed)

    @news.autocomplete("coin")
    async def coin_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await coin_choices(self.bot.services, interaction.guild_id, current)


async def setup(bot: CryptoBot) -> None:
    await bot.add_cog(NewsCog(bot))
