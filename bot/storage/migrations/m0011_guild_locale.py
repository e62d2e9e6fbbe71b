"""The language a server's Discord locale implies, recorded by the Discord process.

The pipeline cannot see Discord, yet it must know which languages servers read to choose the
translation directions (bot/translate/readers.py): a server with a Dutch locale reads Dutch
before anyone runs /language. NULL: the locale implies nothing (the default language).
"""

STATEMENTS = [
    "ALTER TABLE guild_settings ADD COLUMN locale_language VARCHAR(8)",
]
