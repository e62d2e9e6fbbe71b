"""Which languages servers read, so a translation direction runs only when someone needs it.

The pipeline cannot see Discord, so it counts what the database knows: DEFAULT_LANGUAGE (the
CLI, and every server that has neither chosen with /language nor a Dutch locale) plus each
server's stored /language choice, else the language its Discord locale implies (recorded by
the Discord process on join, on a locale change and at start-up: bot/guilds/settings.py
`record_locales`), leaving out servers that switched translation off (`/language translate
off`) and servers the bot was removed from.
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
        sa.select(sa.func.coalesce(gs.language, gs.locale_language))
        .distinct()
        .where(
            sa.func.coalesce(gs.language, gs.locale_language).is_not(None),
            sa.or_(gs.translate.is_(None), gs.translate.is_(True)),
            ~removed.exists(),
        )
    )
    async with db.connection() as conn:
        stored = (await conn.scalars(query)).all()
    found: set[Language] = {default}
    found.update(normalize_language(value, default) for value in stored if value)
    return found & set(LANGUAGES)
