"""A server's reply language: stored choice, else Dutch for Dutch servers, else the default."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bot.guilds.tables import guild_settings
from bot.i18n import Language, normalize_language
from bot.storage import Database
from bot.utils.cache import ReadCache

# Other processes (shards) may change a server's language; re-read it after this many seconds.
_CACHE_SECONDS = 30.0


def resolve_language(
    stored: str | None, preferred_locale: str | None, default: Language
) -> Language:
    """The stored choice wins; until set, a server whose locale is Dutch gets Dutch."""
    if stored:
        return normalize_language(stored, default)
    if normalize_language(preferred_locale, "en") == "nl":
        return "nl"
    return default


class GuildLanguages:
    """Read-through cache of each server's stored language choice: single-flight, so a burst
    of interactions from one server costs one query (bot/utils/cache.py)."""

    def __init__(self, db: Database, default: Language) -> None:
        self._db = db
        self._default = default
        self._cache = ReadCache(ttl=_CACHE_SECONDS)

    async def stored(self, guild_id: int) -> str | None:
        return await self._cache.get(guild_id, lambda: self._read(guild_id))

    async def _read(self, guild_id: int) -> str | None:
        async with self._db.connection() as conn:
            value = await conn.scalar(
                sa.select(guild_settings.c.language).where(guild_settings.c.guild_id == guild_id)
            )
        return str(value) if value is not None else None

    async def language_for(self, guild_id: int | None, preferred_locale: str | None) -> Language:
        if guild_id is None:
            return normalize_language(preferred_locale, self._default)
        return resolve_language(await self.stored(guild_id), preferred_locale, self._default)

    async def set(self, guild_id: int, language: Language) -> None:
        stmt = self._db.upsert(guild_settings, ["guild_id"], ["language", "updated_at"]).values(
            guild_id=guild_id, language=language, updated_at=datetime.now(UTC)
        )
        async with self._db.begin() as conn:
            await conn.execute(stmt)
        self._cache.put(guild_id, language)
