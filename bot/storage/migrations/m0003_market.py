"""Market series (bundled history plus live refreshes) and the signal events emitted once."""

STATEMENTS = [
    """
    CREATE TABLE market_series (
        series VARCHAR(32) NOT NULL,
        day DATE NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        source VARCHAR(32) NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (series, day)
    )
    """,
    """
    CREATE TABLE signal_events (
        id {id},
        event_key VARCHAR(128) NOT NULL UNIQUE,
        kind VARCHAR(16) NOT NULL,
        series VARCHAR(32) NOT NULL,
        event_day DATE NOT NULL,
        payload TEXT NOT NULL,
        is_backfill BOOLEAN NOT NULL DEFAULT FALSE,
        created_at TIMESTAMP NOT NULL,
        delivered_at TIMESTAMP
    )
    """,
    "CREATE INDEX ix_signal_events_pending ON signal_events (delivered_at, is_backfill)",
]
