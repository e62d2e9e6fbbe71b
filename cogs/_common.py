"""Glue several cogs share (a module, not a cog: cogs never import each other)."""

from __future__ import annotations

from discord import app_commands

from bot.news.coins import COIN_NAMES
from bot.runtime.services import Services


async def coin_choices(
    services: Services, guild_id: int | None, current: str
) -> list[app_commands.Choice[str]]:
    tickers = await services.reads.coin_suggestions(guild_id, current)
    return [app_commands.Choice(name=f"{t} · {COIN_NAMES.get(t, t)}", value=t) for t in tickers]
