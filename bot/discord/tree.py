"""The command tree: admits interactions in arrival order, sets the reply language per
interaction and handles every command error.

One place maps the project's exceptions to short, translated, ephemeral messages, so no
interaction is left unanswered and cogs contain no error plumbing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.discord.admission import AdmissionGate
from bot.errors import MissingPermission, UserFacingError
from bot.i18n import Language, _, current_language
from bot.labels import permission_label

log = logging.getLogger(__name__)

UNKNOWN_INTERACTION = 10062  # Discord's code for a token used after the response window
# Interactions (commands and autocompletes) started per event-loop iteration: each runs about
# 1 ms before its first wait, so a burst holds the loop for ~10 ms at a time, not 200 ms.
# 0: no gate (bench.interactions --admission 0 compares).
ADMISSIONS_PER_STEP = 8


class LanguageLookup(Protocol):
    async def language_for(
        self, guild_id: int | None, preferred_locale: str | None
    ) -> Language: ...


class LanguageAware(Protocol):
    """What the tree needs of its client (the client imports the tree, not the reverse)."""

    @property
    def languages(self) -> LanguageLookup: ...


class BotTree(app_commands.CommandTree[Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        per_step = ADMISSIONS_PER_STEP
        self.admission = AdmissionGate(per_step) if per_step else None  # bot/discord/admission.py

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        # Runs first in every command's and autocomplete's task, before any of its work.
        task = asyncio.current_task()
        if task is not None:  # once the task is over, error reply included
            task.add_done_callback(lambda _task: release(interaction))
        if self.admission is not None:
            await self.admission.enter()
        # The ContextVar set here is what `_()` reads for the rest of this interaction.
        bot: LanguageAware = interaction.client
        # guild_locale is the server's preferred locale, sent with every guild interaction.
        preferred = interaction.guild_locale.value if interaction.guild_locale else None
        language = await bot.languages.language_for(interaction.guild_id, preferred)
        current_language.set(language)
        return True

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        original: BaseException = error
        if isinstance(error, app_commands.CommandInvokeError):
            original = error.original
        if isinstance(original, UserFacingError):
            text = original.message()
        elif isinstance(original, app_commands.MissingPermissions):
            names = ", ".join(permission_label(p) for p in original.missing_permissions)
            text = MissingPermission(permission=names).message()
        elif isinstance(original, app_commands.BotMissingPermissions):
            names = ", ".join(permission_label(p) for p in original.missing_permissions)
            text = _("I am missing the %(permission)s permission here.") % {"permission": names}
        elif isinstance(original, app_commands.NoPrivateMessage):
            text = _("This command only works in a server.")
        elif isinstance(original, app_commands.CommandOnCooldown):
            text = _("Slow down a little: try again in %(seconds)d seconds.") % {
                "seconds": max(1, round(original.retry_after))
            }
        elif isinstance(original, app_commands.TransformerError):
            text = _("That value is not valid here: %(value)s") % {"value": original.value}
        elif isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION:
            # We answered after Discord's 3-second window: nothing can reach the user now.
            log.warning(
                "interaction %s (/%s) expired before the reply",
                interaction.id,
                interaction.command.qualified_name if interaction.command else "?",
            )
            return
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error(
                "unexpected error in /%s (guild %s)",
                command,
                interaction.guild_id,
                exc_info=original,
            )
            text = _("Something went wrong on our side. It has been logged; please try again.")
        await send_ephemeral(interaction, "⚠️ " + text)


def release(interaction: discord.Interaction[Any]) -> None:
    """Break the reference cycle discord.py leaves on a handled interaction.

    `Interaction.response` is cached on the interaction (the `_cs_response` slot) and the
    `InteractionResponse` points back at it (`_parent`): without this, every interaction, its
    user, member and namespace (about 16 objects) wait for the cyclic collector, 3,000+
    objects per 200-burst, which makes a young collection (10-25 ms, all at once) land in
    the next burst. Dropping the cached response lets reference counting free them when the
    task ends. tests/discord/test_respond.py pins this against the installed discord.py."""
    with contextlib.suppress(AttributeError):  # never asked for its response
        del interaction._cs_response  # type: ignore[attr-defined]  # a slot


async def send_ephemeral(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer the interaction whatever state it is in (fresh, deferred or already answered)."""
    none = discord.AllowedMentions.none()
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=none)
        elif interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            # Deferred ("thinking..."): replace the placeholder rather than leave it spinning.
            await interaction.edit_original_response(
                content=text, embeds=[], attachments=[], allowed_mentions=none
            )
        else:
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=none)
    except discord.HTTPException:
        log.warning("could not deliver an error message to interaction %s", interaction.id)
