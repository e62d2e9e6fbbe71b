"""Run-time Table objects for migration m0005_digest."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from bot.storage.tables import metadata
from bot.storage.types import UTCDateTime

digest_subscriptions = Table(
    "digest_subscriptions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("channel_id", BigInteger, nullable=False),
    Column("local_time", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("created_by", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("disabled_reason", Text),
    Column("disabled_at", UTCDateTime),
    Column("next_run_at", UTCDateTime, nullable=False),
    Index("ix_digest_subscriptions_due", "enabled", "next_run_at"),
)


def _delivery_columns(subscriptions: str) -> list[Column]:
    """The delivery state machine, shared by digests and alerts (see delivery.py)."""
    return [
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column(
            "subscription_id",
            BigInteger,
            ForeignKey(f"{subscriptions}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("channel_id", BigInteger, nullable=False),
        Column("run_at", UTCDateTime, nullable=False),
        Column("idempotency_key", String(160), nullable=False, unique=True),
        Column("nonce", String(32), nullable=False),
        Column("claim_token", String(32)),
        Column("state", String(16), nullable=False),
        Column("message_id", BigInteger),
        Column("attempts", Integer, nullable=False, default=0),
        Column("lease_until", UTCDateTime),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Column("sent_at", UTCDateTime),
        Column("last_error", Text),
    ]


digest_deliveries = Table(
    "digest_deliveries",
    metadata,
    *_delivery_columns("digest_subscriptions"),
    Column("local_date", Date, nullable=False),
    Index("ix_digest_deliveries_state", "state", "lease_until"),
    Index("ix_digest_deliveries_claim", "claim_token"),
)

alert_subscriptions = Table(
    "alert_subscriptions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("channel_id", BigInteger, nullable=False, unique=True),
    Column("created_by", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("disabled_reason", Text),
    Column("disabled_at", UTCDateTime),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    *_delivery_columns("alert_subscriptions"),
    Column("event_key", String(100), nullable=False),
    Index("ix_alert_deliveries_state", "state", "lease_until"),
    Index("ix_alert_deliveries_claim", "claim_token"),
)
