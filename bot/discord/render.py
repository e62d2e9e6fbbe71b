"""Shared embed building: Discord's limits, markdown escaping, colours.

Feed text is untrusted: it is escaped (no markdown tricks) and clipped to Discord's limits,
and every message goes out with `allowed_mentions=none`, so `@everyone` in a headline is text.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

import discord

from bot.text_limits import clip

# Discord's documented embed limits.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000

BULLISH = discord.Colour(0x2ECC71)
BEARISH = discord.Colour(0xE74C3C)
NEUTRAL = discord.Colour(0x95A5A6)
BRAND = discord.Colour(0xF7931A)

NO_MENTIONS = discord.AllowedMentions.none()


def escape(text: str) -> str:
    """Neutralise markdown in untrusted text (headlines, feed names)."""
    return discord.utils.escape_markdown(text, as_needed=False)


def safe(text: str, limit: int) -> str:
    """Escape then clip, without ever cutting an escape sequence in half."""
    clipped = clip(text, limit)
    while (overflow := len(escape(clipped)) - limit) > 0:
        clipped = clip(clipped, len(clipped) - overflow)
    return escape(clipped)


class EmbedBuilder:
    """Adds fields while keeping the embed within every Discord limit."""

    def __init__(self, title: str, description: str = "", colour: discord.Colour = BRAND):
        self.embed = discord.Embed(
            title=clip(title, TITLE_MAX),
            description=clip(description, DESCRIPTION_MAX) or None,
            colour=colour,
        )

    def room(self) -> int:
        return EMBED_TOTAL_MAX - len(self.embed)

    def add_field(self, name: str, value: str, *, inline: bool = False) -> bool:
        """Add a field if it fits (clipping it to the space left); False once the embed is full."""
        if len(self.embed.fields) >= FIELDS_MAX:
            return False
        name = clip(name, FIELD_NAME_MAX)
        budget = min(FIELD_VALUE_MAX, self.room() - len(name) - 64)  # keep room for a footer
        if budget < 40:
            return False
        self.embed.add_field(name=name, value=clip(value, budget) or "-", inline=inline)
        return True

    def footer(self, text: str) -> discord.Embed:
        self.embed.set_footer(text=clip(text, min(FOOTER_MAX, max(0, self.room()))))
        return self.embed


class RenderMemo:
    """One embed per answer object and key (language, backend): the read cache hands everyone
    asking the same question the same object until new data replaces it, so a burst of /news
    renders it once, not once per interaction. The entry holds the object, so its id is not
    reused while the entry lives; the oldest entries go first."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[tuple[int, Hashable], tuple[object, discord.Embed]] = OrderedDict()

    def embed(
        self, answer: object, key: Hashable, build: Callable[[], discord.Embed]
    ) -> discord.Embed:
        slot = (id(answer), key)
        hit = self._items.get(slot)
        if hit is not None and hit[0] is answer:
            self._items.move_to_end(slot)
            return hit[1]
        embed = build()
        self._items[slot] = (answer, embed)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return embed
