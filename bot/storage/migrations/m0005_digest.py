"""Daily digest and alert subscriptions, and one delivery row per (subscription, day/event).

A delivery row is the claim: its unique keys make sure only one process ever sends a given
digest or alert, and its state machine (sending -> sent / pending / failed / skipped) lets a
restarted process finish what a crashed one began. See docs/digest.md.
"""

STATEMENTS = [
    """
    CREATE TABLE digest_subscriptions (
        id {id},
        guild_id BIGINT NOT NULL,
        channel_id BIGINT NOT NULL,
        local_time VARCHAR(5) NOT NULL,
        timezone VARCHAR(64) NOT NULL,
        created_by BIGINT,
        created_at TIMESTAMP NOT NULL,
        enabled BOOLEAN NOT NULL DEFAULT TRUE,
        disabled_reason TEXT,
        disabled_at TIMESTAMP,
        next_run_at TIMESTAMP NOT NULL,
        UNIQUE (guild_id, channel_id)
    )
    """,
    "CREATE INDEX ix_digest_subscriptions_due ON digest_subscriptions (enabled, next_run_at)",
    """
    CREATE TABLE digest_deliveries (
        id {id},
        subscription_id BIGINT NOT NULL REFERENCES digest_subscriptions(id) ON DELETE CASCADE,
        channel_id BIGINT NOT NULL,
        local_date DATE NOT NULL,
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
        last_error TEXT,
        UNIQUE (subscription_id, local_date)
    )
    """,
    "CREATE INDEX ix_digest_deliveries_state ON digest_deliveries (state, lease_until)",
    "CREATE INDEX ix_digest_deliveries_claim ON digest_deliveries (claim_token)",
    """
    CREATE TABLE alert_subscriptions (
        id {id},
        guild_id BIGINT NOT NULL,
        channel_id BIGINT NOT NULL UNIQUE,
        created_by BIGINT,
        created_at TIMESTAMP NOT NULL,
        enabled BOOLEAN NOT NULL DEFAULT TRUE,
        disabled_reason TEXT,
        disabled_at TIMESTAMP
    )
    """,
    """
    CREATE TABLE alert_deliveries (
        id {id},
        subscription_id BIGINT NOT NULL REFERENCES alert_subscriptions(id) ON DELETE CASCADE,
        channel_id BIGINT NOT NULL,
        event_key VARCHAR(100) NOT NULL,
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
        last_error TEXT,
        UNIQUE (event_key, channel_id)
    )
    """,
    "CREATE INDEX ix_alert_deliveries_state ON alert_deliveries (state, lease_until)",
    "CREATE INDEX ix_alert_deliveries_claim ON alert_deliveries (claim_token)",
]
