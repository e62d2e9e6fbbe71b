"""The digest engine's Sender, backed by discord.py (see bot/digest/sender.py for the contract).

Posts with a nonce (discord.py sets `enforce_nonce`), puts the marker in the footer, checks the
bot's channel permissions first (Discord silently drops embeds without Embed Links) and maps
Discord's failures onto the engine's exceptions.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.delivery.messages import DigestMessage, LiveMessage, OutMessage
from bot.delivery.sender import ChannelGone, PermissionLost, RetryableSendError
from bot.discord.embeds.digest import alert_embed, digest_embed
from bot.discord.embeds.live import live_embed, more_embed
from bot.discord.render import NO_MENTIONS
from bot.i18n import use_language

if TYPE_CHECKING:
    from bot.discord.client import CryptoBot

log = logging.getLogger(__name__)

# What a digest post needs, in the order a missing one is reported.
POST_PERMISSIONS = ("view_channel", "send_messages", "embed_links")
HISTORY_SCAN = 100  # recent messages searched for a marker after a crash


def missing_permission(permissions: discord.Permissions, needed: tuple[str, ...]) -> str | None:
    return next((p for p in needed if not getattr(permissions, p)), None)


class DiscordSender:
    def __init__(self, bot: CryptoBot) -> None:
        self.bot = bot

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.NotFound as exc:
                raise ChannelGone() from exc
            except discord.Forbidden as exc:
                raise ChannelGone() from exc
            except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
                raise RetryableSendError(detail=str(exc)) from exc
        if not isinstance(channel, discord.abc.GuildChannel) or not isinstance(
            channel, discord.abc.Messageable
        ):
            raise ChannelGone()
        me = channel.guild.me
        if me is not None:
            missing = missing_permission(channel.permissions_for(me), POST_PERMISSIONS)
            if missing:
                raise PermissionLost(missing)
        return channel

    async def send(self, channel_id: int, message: OutMessage, *, nonce: str) -> int:
        channel = await self._channel(channel_id)
        with use_language(message.language):
            if isinstance(message, DigestMessage):
                embed = digest_embed(message.digest, message.marker)
            elif isinstance(message, LiveMessage):
                embed = _live(message)
            else:
                embed = alert_embed(message.event, message.marker)
        try:
            sent = await channel.send(embed=embed, nonce=nonce, allowed_mentions=NO_MENTIONS)
        except discord.NotFound as exc:
            raise ChannelGone() from exc
        except discord.Forbidden as exc:
            raise PermissionLost(_forbidden_permission(exc)) from exc
        except discord.RateLimited as exc:  # discord.py gave up waiting: Discord says how long
            raise RetryableSendError(exc.retry_after, detail="rate limited") from exc
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise RetryableSendError(detail=f"HTTP {exc.status}") from exc
            raise
        except (aiohttp.ClientError, OSError) as exc:
            raise RetryableSendError(detail=str(exc)) from exc
        return sent.id

    async def find_sent(
        self, channel_id: int, nonce: str, marker: str, after: datetime
    ) -> int | None:
        channel = await self._channel(channel_id)
        assert self.bot.user is not None
        try:
            async for message in channel.history(limit=HISTORY_SCAN, after=after):
                if message.author.id != self.bot.user.id:
                    continue
                if str(message.nonce or "") == nonce or any(
                    marker in (e.footer.text or "") for e in message.embeds
                ):
                    return message.id
        except discord.NotFound as exc:
            raise ChannelGone() from exc
        except discord.Forbidden as exc:
            raise PermissionLost("read_message_history") from exc
        except discord.HTTPException as exc:
            raise RetryableSendError(detail=f"HTTP {exc.status}") from exc
        return None


def _live(message: LiveMessage) -> discord.Embed:
    if message.more:
        return more_embed(message.stories, message.language, message.marker)
    return live_embed(message.stories[0], message.language, message.marker)


def _forbidden_permission(exc: discord.Forbidden) -> str:
    # 50001 Missing Access: the bot cannot see the channel; 50013: a send/embed permission.
    return "view_channel" if exc.code == 50001 else "send_messages"
