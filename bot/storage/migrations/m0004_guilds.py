"""Per-server settings, per-server feeds, and small key/value state (command sync hash)."""

STATEMENTS = [
    """
    CREATE TABLE guild_settings (
        guild_id BIGINT PRIMARY KEY,
        language VARCHAR(8),
        updated_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE guild_feeds (
        guild_id BIGINT NOT NULL,
        feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        added_by BIGINT,
        added_at TIMESTAMP NOT NULL,
        PRIMARY KEY (guild_id, feed_id)
    )
    """,
    """
    CREATE TABLE guild_disabled_feeds (
        guild_id BIGINT NOT NULL,
        feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        PRIMARY KEY (guild_id, feed_id)
    )
    """,
    """
    CREATE TABLE app_state (
        key VARCHAR(200) PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )
    """,
]
