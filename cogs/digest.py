"""/digest subscribe|unsubscribe|list|preview and /alerts subscribe|unsubscribe.

The cog also runs the delivery loop (started in cog_load, cancelled in cog_unload): due
digests and breakout alerts go out through the discord.py Sender, exactly once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.app_commands import locale_str as T
from discord.ext import commands

from bot.delivery.engine import DeliveryEngine
from bot.delivery.runner import build_engine, delivery_loop
from bot.digest import store
from bot.digest.schedule import format_time, parse_zone
from bot.digest.text import listing_text
from bot.discord.client import CryptoBot
from bot.discord.embeds.digest import digest_embed
from bot.discord.render import NO_MENTIONS
from bot.discord.sender import DiscordSender, missing_permission
from bot.errors import BadInput
from bot.i18n import N_, Language, _, current_language, fmt_date, fmt_time
from bot.labels import permission_label
from bot.market.report import SignalReport, build_signal_report
from bot.shards import delivery_scope
from bot.utils.tasks import cancel_and_wait

# A digest post needs these in its channel; a missing one is named in the refusal.
CHANNEL_PERMISSIONS = (
    "view_channel",
    "send_messages",
    "embed_links",
    "attach_files",
    "read_message_history",  # to find its own post again after a crash (exactly once)
)
ZONES = sorted(available_timezones())


def check_channel(channel: discord.abc.GuildChannel) -> None:
    me = channel.guild.me
    missing = missing_permission(channel.permissions_for(me), CHANNEL_PERMISSIONS)
    if missing:
        raise BadInput(
            N_("I cannot post there: I am missing the %(permission)s permission in that channel."),
            permission=permission_label(missing),
        )


class DigestCog(commands.Cog):
    digest = app_commands.Group(
        name=T("digest"),
        description=T("A daily crypto digest in a channel"),
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    alerts = app_commands.Group(
        name=T("alerts"),
        description=T("Russell 2000 breakout alerts in a channel"),
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: CryptoBot) -> None:
        self.bot = bot
        self._task: asyncio.Task[None] | None = None
        self.engine: DeliveryEngine | None = None

    async def cog_load(self) -> None:
        if not self.bot.settings.deliveries_enabled:
            return
        self.engine, composer = build_engine(
            self.bot.services.db,
            self.bot.settings,
            DiscordSender(self.bot),
            language_of=self.language_of,
            translate_of=self.bot.languages.translate_for,
            scope=delivery_scope(self.bot.settings),  # only this process's shards' guilds
        )
        interval = self.bot.settings.digest_tick_seconds
        self._task = asyncio.create_task(
            delivery_loop(self.engine, composer, interval=interval), name="digest-delivery"
        )

    async def cog_unload(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])

    async def language_of(self, guild_id: int) -> Language:
        guild = self.bot.get_guild(guild_id)
        preferred = guild.preferred_locale.value if guild else None
        return await self.bot.languages.language_for(guild_id, preferred)

    @digest.command(name=T("subscribe"), description=T("Post the daily digest in a channel"))
    @app_commands.rename(channel=T("channel"), time=T("time"), timezone=T("timezone"))
    @app_commands.describe(
        channel=T("Where to post the digest"),
        time=T("Local time as HH:MM, e.g. 08:00"),
        timezone=T("Time zone, e.g. Europe/Amsterdam (default: the bot's)"),
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def subscribe(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        time: str,
        timezone: str | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        check_channel(channel)
        sub = await store.subscribe(
            self.bot.services.db,
            guild_id=interaction.guild_id,
            channel_id=channel.id,
            local_time=time,
            timezone=timezone or self.bot.settings.default_timezone,
            created_by=interaction.user.id,
            now=datetime.now(UTC),
        )
        local = sub.next_run_at.astimezone(sub.zone)
        text = _(
            "Daily digest for %(channel)s at %(time)s (%(zone)s). First one: %(date)s at %(at)s."
        ) % {
            "channel": channel.mention,
            "time": format_time(sub.local_time),
            "zone": sub.timezone,
            "date": fmt_date(local, "full"),
            "at": fmt_time(local),
        }
        await interaction.response.send_message(text, ephemeral=True)

    @subscribe.autocomplete("timezone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.lower().replace(" ", "_")
        first = [z for z in ("Europe/Amsterdam", "Europe/Brussels", "UTC") if needle in z.lower()]
        rest = [z for z in ZONES if needle in z.lower() and z not in first]
        return [app_commands.Choice(name=z, value=z) for z in (first + rest)[:25]]

    @digest.command(name=T("unsubscribe"), description=T("Stop the daily digest in a channel"))
    @app_commands.rename(channel=T("channel"))
    @app_commands.describe(channel=T("The channel that gets the digest"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def unsubscribe(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        assert interaction.guild_id is not None
        await store.unsubscribe(
            self.bot.services.db, guild_id=interaction.guild_id, channel_id=channel.id
        )
        text = _("%(channel)s no longer gets the daily digest.") % {"channel": channel.mention}
        await interaction.response.send_message(text, ephemeral=True)

    @digest.command(name=T("list"), description=T("This server's digests and when they run"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def list_digests(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        rows = await store.list_subscriptions(
            self.bot.services.db, interaction.guild_id, datetime.now(UTC)
        )
        text = listing_text(rows)
        await interaction.response.send_message(text, ephemeral=True)

    @digest.command(name=T("preview"), description=T("Show today's digest now, only to you"))
    async def preview(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.bot.services

        async def signal(now: datetime) -> SignalReport | None:
            return await build_signal_report(services.db, services.settings, now=now)

        digest = await services.reads.digest(
            interaction.guild_id,
            language=current_language.get(),
            now=datetime.now(UTC),
            signal=signal,
            zone=parse_zone(services.settings.default_timezone),
            translate=await self.bot.languages.translate_for(interaction.guild_id),
        )
        await interaction.edit_original_response(
            embed=digest_embed(digest), allowed_mentions=NO_MENTIONS
        )

    @alerts.command(name=T("subscribe"), description=T("Post breakout alerts in a channel"))
    @app_commands.rename(channel=T("channel"))
    @app_commands.describe(channel=T("Where to post the alerts"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def alerts_subscribe(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        assert interaction.guild_id is not None
        check_channel(channel)
        await store.subscribe_alerts(
            self.bot.services.db,
            guild_id=interaction.guild_id,
            channel_id=channel.id,
            created_by=interaction.user.id,
            now=datetime.now(UTC),
        )
        text = _("%(channel)s will get Russell 2000 breakout alerts, once per event.") % {
            "channel": channel.mention
        }
        await interaction.response.send_message(text, ephemeral=True)

    @alerts.command(name=T("unsubscribe"), description=T("Stop breakout alerts in a channel"))
    @app_commands.rename(channel=T("channel"))
    @app_commands.describe(channel=T("The channel that gets the alerts"))
    @app_commands.checks.has_permissions(manage_guild=True)
    async def alerts_unsubscribe(
        self, interaction: discord.Interaction, channel: discord.TextChannel
    ) -> None:
        assert interaction.guild_id is not None
        await store.unsubscribe_alerts(
            self.bot.services.db, guild_id=interaction.guild_id, channel_id=channel.id
        )
        text = _("%(channel)s no longer gets breakout alerts.") % {"channel": channel.mention}
        await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: CryptoBot) -> None:
    await bot.add_cog(DigestCog(bot))
