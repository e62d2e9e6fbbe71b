"""Article sentiment scores, one row per article and backend+model, so a new model rescores."""

STATEMENTS = [
    """
    CREATE TABLE article_sentiment (
        article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        backend VARCHAR(32) NOT NULL,
        model VARCHAR(255) NOT NULL,
        label VARCHAR(8) NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        confidence DOUBLE PRECISION NOT NULL,
        scored_at TIMESTAMP NOT NULL,
        PRIMARY KEY (article_id, backend, model)
    )
    """,
    "CREATE INDEX ix_article_sentiment_backend ON article_sentiment (backend, model)",
]
