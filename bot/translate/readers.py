"""Which languages servers read, so a translation direction runs only when someone needs it.

The pipeline cannot see Discord (a server's preferred locale lives there), so it counts what
the database knows: DEFAULT_LANGUAGE (every server that has not chosen with /language, and
the CLI) plus each server's stored /language choice, leaving out servers that switched
translation off (`/language translate off`) and servers the bot was removed from. A server
with a Dutch locale but no choice reads Dutch while DEFAULT_LANGUAGE=en: it gets
translations once someone there runs `/language nl` (or set DEFAULT_LANGUAGE=nl).
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.guilds.tables import guild_removals, guild_settings
from bot.i18n import LANGUAGES, Language, normalize_language
from bot.storage import Database


async def languages_read(db: Database, default: Language) -> set[Language]:
    gs = guild_settings.c
    removed = sa.select(guild_removals.c.guild_id).where(guild_removals.c.guild_id == gs.guild_id)
    query = (
        sa.select(gs.language)
        .distinct()
        .where(
            gs.language.is_not(None),
            sa.or_(gs.translate.is_(None), gs.translate.is_(True)),
            ~removed.exists(),
        )
    )
    async with db.connection() as conn:
        stored = (await conn.scalars(query)).all()
    found: set[Language] = {default}
    found.update(normalize_language(value, default) for value in stored if value)
    return found & set(LANGUAGES)
