"""Machine translations of stored articles, and a server's switch to turn them off.

One row per (article, target language, model): a model change translates again, and
commands read the newest row. `status` is 'ok' or 'fallback' (a check failed, so `title`
and `summary` hold the original text and `problems` says why). See bot/translate/.
`guild_settings.translate` is NULL until a server chooses; NULL means on.
"""

STATEMENTS = [
    """
    CREATE TABLE article_translations (
        article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        target_lang VARCHAR(8) NOT NULL,
        model VARCHAR(255) NOT NULL,
        source_lang VARCHAR(8) NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        status VARCHAR(16) NOT NULL,
        problems TEXT,
        translated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (article_id, target_lang, model)
    )
    """,
    # The PK serves `pending` (per article); this serves "has a model translated lately".
    "CREATE INDEX ix_article_translations_recent"
    " ON article_translations (target_lang, translated_at)",
    "ALTER TABLE guild_settings ADD COLUMN translate BOOLEAN",
]
