"""Command names and descriptions in each user's Discord language, from the gettext catalogs.

Discord shows these by the *user's* client language, independent of the server's reply
language. Mark strings with `locale_str(...)` (extracted by `make i18n-extract`).
"""

from __future__ import annotations

from discord import Locale, app_commands

from bot.i18n import LANGUAGES, translate


class CatalogTranslator(app_commands.Translator):
    async def translate(
        self,
        string: app_commands.locale_str,
        locale: Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = locale.value.split("-")[0]
        if language == "en" or language not in LANGUAGES:
            return None
        translated = translate(string.message, language)
        return translated if translated != string.message else None
