from __future__ import annotations

import sqlalchemy as sa

from bot.guilds.settings import GuildLanguages, record_locales, resolve_language
from bot.guilds.tables import guild_settings
from bot.storage import Database


def test_resolution_order() -> None:
    assert resolve_language(None, "nl", "en") == "nl"
    assert resolve_language(None, "en-US", "en") == "en"
    assert resolve_language(None, "de", "nl") == "nl"  # DEFAULT_LANGUAGE for other locales
    assert resolve_language("en", "nl", "en") == "en"  # an explicit choice wins


async def test_choice_persists_across_instances(db: Database) -> None:
    first = GuildLanguages(db, "en")
    assert await first.language_for(42, "nl") == "nl"
    await first.set(42, "en")
    assert await first.language_for(42, "nl") == "en"
    fresh = GuildLanguages(db, "en")  # as after a restart
    assert await fresh.stored(42) == "en"
    assert await fresh.language_for(7, "en-GB") == "en"


async def test_translation_is_on_until_switched_off_and_survives_a_language_change(
    db: Database,
) -> None:
    languages = GuildLanguages(db, "en")
    assert await languages.translate_for(42) is True  # no row: on
    assert await languages.translate_for(None) is True  # outside a server
    await languages.set(42, "nl")
    assert await languages.translate_for(42) is True  # a row with NULL: on
    await languages.set_translate(42, False)
    await languages.set(42, "en")  # changing the language keeps the switch
    fresh = GuildLanguages(db, "en")
    assert await fresh.translate_for(42) is False and await fresh.stored(42) == "en"
    assert await fresh.translate_for(7) is True  # other servers untouched
    await fresh.set_translate(42, True)
    assert await fresh.translate_for(42) is True and await fresh.stored(42) == "en"


async def test_a_burst_from_one_server_costs_one_query(db: Database) -> None:
    import asyncio

    languages = GuildLanguages(db, "en")
    await languages.set(42, "nl")
    fresh = GuildLanguages(db, "en")
    queries = 0
    read = fresh._read

    async def counted(guild_id: int) -> tuple[str | None, bool | None]:
        nonlocal queries
        queries += 1
        return await read(guild_id)

    fresh._read = counted  # type: ignore[method-assign]
    answers = await asyncio.gather(*(fresh.language_for(42, "en-US") for _ in range(50)))
    assert answers == ["nl"] * 50 and queries == 1


async def test_recorded_locales_write_only_what_changed(db: Database) -> None:
    assert await record_locales(db, {1: "nl", 2: "en-US", 3: "de"}) == 1  # no row for "nothing"
    assert await record_locales(db, {1: "nl", 2: "en-US"}) == 0
    async with db.connection() as conn:
        rows = (await conn.execute(sa.select(guild_settings.c.guild_id))).scalars().all()
    assert rows == [1]
    await GuildLanguages(db, "en").set(1, "en")  # a choice keeps the locale beside it
    assert await record_locales(db, {1: "en-GB"}) == 1  # the server left the Dutch locale
    async with db.connection() as conn:
        row = (
            await conn.execute(sa.select(guild_settings).where(guild_settings.c.guild_id == 1))
        ).one()
    assert (row.language, row.locale_language) == ("en", None)
