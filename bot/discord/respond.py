"""Answer an interaction with one callback POST, without asking for the created message.

discord.py 2.7's `InteractionResponse.send_message` always asks Discord to return the message
it created (`?with_response=1`) and parses it into an `InteractionCallbackResponse` and a
`Message`, which our commands never use: a bigger response to read and decode, and object
construction, on the event loop for every reply. Without `with_response` Discord answers
204 No Content.

This uses discord.py's own payload builder, webhook adapter (rate limits, retries, errors
as `discord.HTTPException`) and session; it relies on two private attributes,
`Interaction._session` and `InteractionResponse._response_type` (set as discord.py sets it,
so `is_done()`, followups, `edit_original_response` and the error reply in
bot/discord/tree.py behave as after `send_message`). tests/discord/test_respond.py pins that
behaviour against the installed discord.py.
"""

from __future__ import annotations

import io
from typing import Any

import discord
from discord.http import Route
from discord.utils import MISSING
from discord.webhook.async_ import async_context, interaction_message_response_params

CALLBACK = "/interactions/{webhook_id}/{webhook_token}/callback"


async def reply(
    interaction: discord.Interaction[Any],
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    ephemeral: bool = False,
    allowed_mentions: discord.AllowedMentions | None = None,
) -> None:
    """`interaction.response.send_message` for text and/or one embed, without the round trip
    of the created message. The client's allowed mentions (none) apply unless given."""
    response = interaction.response
    if response.is_done():
        raise discord.InteractionResponded(interaction)
    params = interaction_message_response_params(
        type=discord.InteractionResponseType.channel_message.value,
        content=content,
        embed=embed if embed is not None else MISSING,
        previous_allowed_mentions=interaction.client.allowed_mentions,
        allowed_mentions=allowed_mentions if allowed_mentions is not None else MISSING,
        flags=discord.MessageFlags(ephemeral=True) if ephemeral else MISSING,
    )
    route = Route("POST", CALLBACK, webhook_id=interaction.id, webhook_token=interaction.token)
    http = interaction.client.http
    await async_context.get().request(
        route,
        session=interaction._session,
        payload=params.payload,
        proxy=http.proxy,
        proxy_auth=http.proxy_auth,
    )
    response._response_type = discord.InteractionResponseType.channel_message


async def followup_with_file(
    interaction: discord.Interaction[Any],
    data: bytes,
    filename: str,
    *,
    embed: discord.Embed,
) -> None:
    """`interaction.followup.send` with an in-memory file that is freed once it is sent.

    `discord.File` swaps `fp.close` for a no-op and, when discord.py closes the file, puts the
    bound `fp.close` back on the instance: the BytesIO then refers to itself, holding the
    private copy of its buffer that aiohttp's payload made. Only the cyclic collector would
    free it, and it seldom runs (`GC_THRESHOLDS`): with a /signal chart (~150 KB) every
    20 interactions, the Discord process grew 7 KB per interaction."""
    fp = io.BytesIO(data)
    try:
        await interaction.followup.send(embed=embed, file=discord.File(fp, filename=filename))
    finally:
        fp.__dict__.pop("close", None)  # the instance attribute discord.File set: the cycle
        fp.close()  # and the buffer, now
