"""Feeds, their fetch state, articles with their coins, and stories (clusters of articles)."""

STATEMENTS = [
    """
    CREATE TABLE feeds (
        id {id},
        url TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        language VARCHAR(8) NOT NULL,
        is_default BOOLEAN NOT NULL DEFAULT FALSE,
        enabled BOOLEAN NOT NULL DEFAULT TRUE,
        created_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE feed_state (
        feed_id BIGINT PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
        status VARCHAR(16) NOT NULL DEFAULT 'new',
        etag TEXT,
        last_modified TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        last_fetch_at TIMESTAMP,
        last_ok_at TIMESTAMP,
        next_fetch_at TIMESTAMP,
        initialized BOOLEAN NOT NULL DEFAULT FALSE
    )
    """,
    """
    CREATE TABLE stories (
        id {id},
        title TEXT NOT NULL,
        language VARCHAR(8) NOT NULL,
        signature TEXT NOT NULL,
        first_seen_at TIMESTAMP NOT NULL,
        last_seen_at TIMESTAMP NOT NULL,
        article_count INTEGER NOT NULL DEFAULT 1
    )
    """,
    "CREATE INDEX ix_stories_last_seen ON stories (last_seen_at)",
    """
    CREATE TABLE articles (
        id {id},
        feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        story_id BIGINT REFERENCES stories(id) ON DELETE SET NULL,
        guid TEXT NOT NULL,
        link TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        language VARCHAR(8) NOT NULL,
        source TEXT NOT NULL,
        published_at TIMESTAMP NOT NULL,
        fetched_at TIMESTAMP NOT NULL,
        date_estimated BOOLEAN NOT NULL DEFAULT FALSE,
        is_backlog BOOLEAN NOT NULL DEFAULT FALSE,
        UNIQUE (feed_id, guid)
    )
    """,
    "CREATE INDEX ix_articles_published ON articles (published_at)",
    "CREATE INDEX ix_articles_story ON articles (story_id)",
    """
    CREATE TABLE article_coins (
        article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        coin VARCHAR(16) NOT NULL,
        PRIMARY KEY (article_id, coin)
    )
    """,
    "CREATE INDEX ix_article_coins_coin ON article_coins (coin)",
]
