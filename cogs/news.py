"""/news [coin] [hours] [language]: the top stories, read from the store (milliseconds)."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from discord import app_commands
from discord.app_commands import locale_str as T
from discord.ext import commands

from bot.client import CryptoBot
from bot.compose.news import news_brief
from bot.embeds.news import news_embed
from bot.errors import BadInput
from bot.guilds.feeds import active_feed_ids
from bot.i18n import N_
from bot.news.coins import COIN_NAMES
from bot.news.query import known_coins


class NewsCog(commands.Cog):
    def __init__(self, bot: CryptoBot) -> None:
        self.bot = bot

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
        db = self.bot.services.db
        guild_id = interaction.guild_id
        feed_ids = (
            await self.bot.services.cache.get(
                ("feeds", guild_id), lambda: active_feed_ids(db, guild_id)
            )
            if guild_id
            else None
        )
        source_language = None if language == "any" else language
        key = ("news", hours, ticker, source_language, tuple(feed_ids or ()))
        brief = await self.bot.services.cache.get(
            key,
            lambda: news_brief(
                db,
                now=datetime.now(UTC),
                hours=hours,
                coin=ticker,
                language=source_language,
                feed_ids=feed_ids,
            ),
        )
        backend = await self.bot.services.sentiment_name()
        await interaction.response.send_message(embed=news_embed(brief, backend))

    @news.autocomplete("coin")
    async def coin_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await coin_choices(self.bot, current)


def parse_coin(value: str | None) -> str | None:
    if not value:
        return None
    ticker = value.strip().upper().lstrip("$")
    if ticker in COIN_NAMES:
        return ticker
    by_name = {name.upper(): t for t, name in COIN_NAMES.items()}
    if ticker in by_name:
        return by_name[ticker]
    raise BadInput(N_("I don't know the coin %(coin)s."), coin=value[:20])


async def coin_choices(bot: CryptoBot, current: str) -> list[app_commands.Choice[str]]:
    """Most-mentioned coins first, matching ticker or name; Discord allows 25 choices."""
    mentioned = await bot.services.cache.get("known_coins", lambda: known_coins(bot.services.db))
    ordered = mentioned + [t for t in COIN_NAMES if t not in mentioned]
    needle = current.strip().lower()
    hits = [t for t in ordered if needle in t.lower() or needle in COIN_NAMES.get(t, "").lower()]
    return [app_commands.Choice(name=f"{t} · {COIN_NAMES.get(t, t)}", value=t) for t in hits[:25]]


async def setup(bot: CryptoBot) -> None:
    await bot.add_cog(NewsCog(bot))
