"""Live news subscriptions, and one delivery row per (channel, story) or "N more" message.

A story is keyed by its lead article: the first-stored article of the story within the
subscription's view (its server's feed set, in its language filter). A story that gains
sources keeps its lead, so it is never posted twice; stories merged later keep the smaller
lead. An overflow ("N more stories") row has no lead: `bundle` lists the leads of the
stories it carries, which count as delivered. See docs/live.md.
"""

STATEMENTS = [
    """
    CREATE TABLE live_subscriptions (
        id {id},
        guild_id BIGINT NOT NULL,
        channel_id BIGINT NOT NULL UNIQUE,
        coin VARCHAR(16),
        language VARCHAR(8),
        min_sources INTEGER NOT NULL DEFAULT 1,
        since_article_id BIGINT NOT NULL DEFAULT 0,
        created_by BIGINT,
        created_at TIMESTAMP NOT NULL,
        enabled BOOLEAN NOT NULL DEFAULT TRUE,
        disabled_reason TEXT,
        disabled_at TIMESTAMP
    )
    """,
    "CREATE INDEX ix_live_subscriptions_guild ON live_subscriptions (guild_id)",
    """
    CREATE TABLE live_deliveries (
        id {id},
        subscription_id BIGINT NOT NULL REFERENCES live_subscriptions(id) ON DELETE CASCADE,
        channel_id BIGINT NOT NULL,
        lead_article_id BIGINT,
        story_id BIGINT,
        bundle TEXT,
        run_at TIMESTAMP NOT NULL,
        idempotency_key VARCHAR(160) NOT NULL UNIQUE,
        nonce VARCHAR(32) NOT NULL,
        claim_token VARCHAR(32),
        state VARCHAR(16) NOT NULL,
        message_id BIGINT,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_until TIMESTAMP,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        sent_at TIMESTAMP,
        last_error TEXT
    )
    """,
    "CREATE INDEX ix_live_deliveries_state ON live_deliveries (state, lease_until)",
    "CREATE INDEX ix_live_deliveries_claim ON live_deliveries (claim_token)",
    "CREATE INDEX ix_live_deliveries_sub ON live_deliveries (subscription_id, created_at)",
]
