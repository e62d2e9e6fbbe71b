"""/live subscribe|unsubscribe|list: new stories posted in a channel as they are stored.

The cog also runs the live delivery loop (started in cog_load, cancelled in cog_unload):
bot/delivery/live_rounds.py posts each story once per channel through the discord.py Sender.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import discord
from discord import app_commands
from discord.app_commands import locale_str as T
from discord.ext import commands

from bot.delivery.engine import DeliveryEngine
from bot.delivery.runner import build_engine, live_loop
from bot.discord.client import CryptoBot
from bot.discord.sender import DiscordSender, missing_permission
from bot.errors import BadInput
from bot.i18n import N_, Language, _
from bot.labels import permission_label
from bot.live import store
from bot.live.candidates import backlog_start
from bot.live.text import filters_text, listing_text
from bot.shards import delivery_scope
from bot.utils.tasks import cancel_and_wait
from cogs._common import coin_choices

# A live post needs these in its channel; a missing one is named in the refusal.
CHANNEL_PERMISSIONS = ("view_channel", "send_messages", "embed_links", "read_message_history")


def check_channel(channel: discord.abc.GuildChannel) -> None:
    missing = missing_permission(channel.permissions_for(channel.guild.me), CHANNEL_PERMISSIONS)
    if missing:
        raise BadInput(
            N_("I cannot post there: I am missing the %(permission)s permission in that channel."),
            permission=permission_label(missing),
        )


class LiveCog(commands.Cog):
    live = app_commands.Group(
        name=T("live"),
        description=T("New crypto stories posted in a channel as they break"),
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: CryptoBot) -> None:
        self.bot = bot
        self._task: asyncio.Task[None] | None = None
        self.engine: DeliveryEngine | None = None

    async def cog_load(self) -> None:
        settings = self.bot.settings
        if not settings.deliveries_enabled:
            return
        self.engine, _composer = build_engine(
            self.bot.services.db,
            settings,
            DiscordSender(self.bot),
            language_of=self.language_of,
            scope=delivery_scope(settings),  # only this process's shards' guilds
        )
        self._task = asyncio.create_task(
            live_loop(self.engine, interval=settings.live_tick_seconds), name="live-delivery"
        )

    async def cog_unload(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])

    async def language_of(self, guild_id: int) -> Language:
        guild = self.bot.get_guild(guild_id)
        preferred = guild.preferred_locale.value if guild else None
        return await self.bot.languages.language_for(guild_id, preferred)

    @live.command(name=T("subscribe"), description=T("Post new stories in a channel as they break"))
    @app_commands.rename(
        channel=T("channel"), coin=T("coin"), language=T("language"), min_sources=T("min_sources")
    )
    @app_commands.describe(
        channel=T("Where to post the stories"),
        coin=T("Only stories about this coin, e.g. BTC"),
        language=T("Which sources: any, English or Dutch"),
        min_sources=T("Wait until this many outlets carry a story (1-5)"),
    )
    @app_commands.choices(
        language=[
            app_commands.Choice(name=T("any"), value="any"),
            app_commands.Choice(name="English", value="en"),
            app_commands.Choice(name="Nederlands", value="nl"),
        ]
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def subscribe(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        coin: str | None = None,
        language: str = "any",
        min_sources: app_commands.Range[int, 1, 5] = 1,
    ) -> None:
        assert interaction.guild_id is not None
        filters = store.check_filters(coin, language, min_sources)
        check_channel(channel)
        services, settings = self.bot.services, self.bot.settings
        now = datetime.now(UTC)
        since = await backlog_start(
            services.db,
            feed_ids=await services.reads.feed_ids(interaction.guild_id),
            language=filters.language,
            coin=filters.coin,
            min_sources=filters.min_sources,
            backlog=settings.live_backlog,
            now=now,
            max_age=timedelta(hours=settings.live_max_age_hours),
        )
        await store.subscribe(
            services.db,
            guild_id=interaction.guild_id,
            channel_id=channel.id,
            filters=filters,
            since_article_id=since,
            created_by=interaction.user.id,
            now=now,
        )
        text = _("%(channel)s will get new stories as they break (%(filters)s).") % {
            "channel": channel.mention,
            "filters": filters_text(filters),
        }
        await interaction.response.send_message(text, ephemeral=True)

    @subscribe.autocomplete("coin")
    async def coin_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await coin_choices(self.bot.services, interaction.guild_id, current)

    @live.command(name=T("unsubscribe"), description=T("Stop live news in a channel"))
    @app_commands.rename(channel=T("channel"))
    @app_commands.describe(channel=T("The channel that gets live news"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def unsubscribe(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        assert interaction.guild_id is not None
        await store.unsubscribe(
            self.bot.services.db, guild_id=interaction.guild_id, channel_id=channel.id
        )
        text = _("%(channel)s no longer gets live news.") % {"channel": channel.mention}
        await interaction.response.send_message(text, ephemeral=True)

    @live.command(name=T("list"), description=T("This server's live news channels"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def list_live(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        rows = await store.list_subscriptions(self.bot.services.db, interaction.guild_id)
        await interaction.response.send_message(listing_text(rows), ephemeral=True)


async def setup(bot: CryptoBot) -> None:
    await bot.add_cog(LiveCog(bot))
