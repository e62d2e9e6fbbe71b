"""A server's settings: its reply language (stored choice, else Dutch for Dutch servers, else
the default) and whether it reads machine translations (stored choice, else on)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.guilds.tables import guild_settings
from bot.i18n import Language, _, normalize_language
from bot.storage import Database
from bot.storage.bulk import execute_many
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


def locale_language(preferred_locale: str | None) -> Language | None:
    """What a server's Discord locale alone implies (see resolve_language); None: nothing."""
    return "nl" if normalize_language(preferred_locale, "en") == "nl" else None


async def record_locales(db: Database, locales: Mapping[int, str | None]) -> int:
    """Store what each server's locale implies, for the pipeline's choice of translation
    directions (bot/translate/readers.py); writes only what changed. Returns rows written."""
    t = guild_settings.c
    written = 0
    ids = sorted(locales)
    for start in range(0, len(ids), 500):  # bounded IN lists, a short transaction each
        chunk = ids[start : start + 500]
        async with db.begin() as conn:
            rows = await conn.execute(
                sa.select(t.guild_id, t.locale_language).where(t.guild_id.in_(chunk))
            )
            known = {int(r.guild_id): r.locale_language for r in rows}
            now = datetime.now(UTC)
            changed = [
                {"guild_id": g, "locale_language": implied, "updated_at": now}
                for g in chunk
                if (implied := locale_language(locales[g])) != known.get(g)
                and (implied is not None or g in known)  # no row just to say "nothing"
            ]
            if changed:
                stmt = db.upsert(guild_settings, ["guild_id"], ["locale_language", "updated_at"])
                await execute_many(conn, stmt, changed)
                written += len(changed)
    return written


def resolve_translate(stored: bool | None) -> bool:
    """Translation is on until a server switches it off (NULL in guild_settings means on)."""
    return stored is not False


class GuildLanguages:
    """Read-through cache of each server's stored language choice and translation switch:
    single-flight, so a burst of interactions from one server costs one query
    (bot/utils/cache.py)."""

    def __init__(self, db: Database, default: Language) -> None:
        self._db = db
        self._default = default
        # guild -> (stored language, stored translate switch)
        self._cache = ReadCache(ttl=_CACHE_SECONDS)

    async def _row(self, guild_id: int) -> tuple[str | None, bool | None]:
        return await self._cache.get(guild_id, lambda: self._read(guild_id))

    async def _read(self, guild_id: int) -> tuple[str | None, bool | None]:
        t = guild_settings.c
        async with self._db.connection() as conn:
            row = (
                await conn.execute(sa.select(t.language, t.translate).where(t.guild_id == guild_id))
            ).first()
        if row is None:
            return None, None
        language = str(row.language) if row.language is not None else None
        return language, (bool(row.translate) if row.translate is not None else None)

    async def stored(self, guild_id: int) -> str | None:
        return (await self._row(guild_id))[0]

    async def translate_for(self, guild_id: int | None) -> bool:
        """Whether the server reads machine translations (outside a server: yes)."""
        if guild_id is None:
            return True
        return resolve_translate((await self._row(guild_id))[1])

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
        # The other column is re-read, never guessed.
        self._cache.put(guild_id, await self._read(guild_id))

    async def set_translate(self, guild_id: int, on: bool) -> None:
        """Store the server's translation switch; its other settings stay as they are."""
        stmt = self._db.upsert(guild_settings, ["guild_id"], ["translate", "updated_at"]).values(
            guild_id=guild_id, translate=on, updated_at=datetime.now(UTC)
        )
        async with self._db.begin() as conn:
            await conn.execute(stmt)
        self._cache.put(guild_id, await self._read(guild_id))


def translate_reply(on: bool) -> str:
    """The answer to /language translate, in the current language."""
    if on:
        return _(
            "Done: stories from other languages are shown machine-translated, with a label and "
            "a link to the original."
        )
    return _("Done: stories are shown as written, with their language marked.")


def translate_state(on: bool) -> str:
    """One line for /language show."""
    if on:
        return _("Stories from other languages: machine-translated when a translation is ready.")
    return _("Stories from other languages: shown as written (translation is off).")
