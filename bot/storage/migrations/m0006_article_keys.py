"""Articles are unique per feed, not across feeds; oversized feed text already stored is cut.

m0001 made `articles.link` unique across all feeds: a server's feed repeating CoinDesk's links
stored them first and CoinDesk itself then stored none of its own articles, for every server.
The keys are now (feed_id, guid) and (feed_id, link); `ix_articles_link` keeps the lookup of
the same canonical link in other feeds (bot/news/store.py) an index scan.

PostgreSQL drops the constraint. SQLite cannot: it rebuilds `articles` under a new name and
renames it back. Dropping the old table with foreign keys on would cascade to article_coins
and article_sentiment, so their rows are copied aside and put back; the AUTOINCREMENT counter
is carried over so no id is ever handed out twice. SQLite runs DDL before the first data
change outside the transaction (Python's sqlite3), so the statements before the first INSERT
only clean up after an interrupted run and create an empty table: re-running is safe.

Then names, titles and summaries longer than bot/text_limits.py allows (a 4.9 MB feed title
copied into every article, say) are cut to the limit, ending in an ellipsis.
"""

_ARTICLE_COLUMNS = (
    "id, feed_id, story_id, guid, link, title, summary, language, source, published_at, "
    "fetched_at, date_estimated, is_backlog"
)
_SENTIMENT_COLUMNS = "article_id, backend, model, label, score, confidence, scored_at"

_INDEXES = [
    "CREATE INDEX ix_articles_link ON articles (link)",
]

# Limits as in bot/text_limits.py (FEED_NAME_CHARS, TITLE_CHARS, SUMMARY_CHARS).
_CLIP_STORED = [
    "UPDATE feeds SET name = substr(name, 1, 99) || '…' WHERE length(name) > 100",
    """
    UPDATE articles SET
        source = CASE WHEN length(source) > 100
            THEN substr(source, 1, 99) || '…' ELSE source END,
        title = CASE WHEN length(title) > 300
            THEN substr(title, 1, 299) || '…' ELSE title END,
        summary = CASE WHEN length(summary) > 1000
            THEN substr(summary, 1, 999) || '…' ELSE summary END
    WHERE length(source) > 100 OR length(title) > 300 OR length(summary) > 1000
    """,
    "UPDATE stories SET title = substr(title, 1, 299) || '…' WHERE length(title) > 300",
]

_SQLITE = [
    # Left over by an interrupted run (only the empty articles_m0006 can be: see above).
    "DROP TABLE IF EXISTS articles_m0006",
    "DROP TABLE IF EXISTS article_coins_m0006",
    "DROP TABLE IF EXISTS article_sentiment_m0006",
    "DROP TABLE IF EXISTS articles_sequence_m0006",
    """
    CREATE TABLE articles_m0006 (
        id {id},
        feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        story_id BIGINT REFERENCES stories(id) ON DELETE SET NULL,
        guid TEXT NOT NULL,
        link TEXT NOT NULL,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        language VARCHAR(8) NOT NULL,
        source TEXT NOT NULL,
        published_at TIMESTAMP NOT NULL,
        fetched_at TIMESTAMP NOT NULL,
        date_estimated BOOLEAN NOT NULL DEFAULT FALSE,
        is_backlog BOOLEAN NOT NULL DEFAULT FALSE,
        UNIQUE (feed_id, guid),
        UNIQUE (feed_id, link)
    )
    """,
    # From here on, one transaction.
    f"INSERT INTO articles_m0006 ({_ARTICLE_COLUMNS}) SELECT {_ARTICLE_COLUMNS} FROM articles",
    "CREATE TABLE article_coins_m0006 AS SELECT article_id, coin FROM article_coins",
    f"CREATE TABLE article_sentiment_m0006 AS SELECT {_SENTIMENT_COLUMNS} FROM article_sentiment",
    "CREATE TABLE articles_sequence_m0006 AS "
    "SELECT seq FROM sqlite_sequence WHERE name = 'articles'",
    "DROP TABLE articles",  # with its indexes; cascades to article_coins, article_sentiment
    "ALTER TABLE articles_m0006 RENAME TO articles",
    "INSERT INTO article_coins (article_id, coin) SELECT article_id, coin FROM article_coins_m0006",
    f"INSERT INTO article_sentiment ({_SENTIMENT_COLUMNS}) "
    f"SELECT {_SENTIMENT_COLUMNS} FROM article_sentiment_m0006",
    """
    DELETE FROM sqlite_sequence
    WHERE name = 'articles' AND seq < (SELECT MAX(seq) FROM articles_sequence_m0006)
    """,
    """
    INSERT INTO sqlite_sequence (name, seq)
    SELECT 'articles', seq FROM articles_sequence_m0006
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'articles')
    """,
    "DROP TABLE article_coins_m0006",
    "DROP TABLE article_sentiment_m0006",
    "DROP TABLE articles_sequence_m0006",
    "CREATE INDEX ix_articles_published ON articles (published_at)",
    "CREATE INDEX ix_articles_story ON articles (story_id)",
    *_INDEXES,
    *_CLIP_STORED,
]

_POSTGRESQL = [
    # The names PostgreSQL gave m0001's constraints (table_columns_key).
    "ALTER TABLE articles DROP CONSTRAINT articles_link_key",
    "ALTER TABLE articles ADD CONSTRAINT articles_feed_id_link_key UNIQUE (feed_id, link)",
    *_INDEXES,
    *_CLIP_STORED,
]

STATEMENTS = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}
