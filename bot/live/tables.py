"""Run-time Table objects for migration m0010_live."""

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from bot.digest.tables import _delivery_columns
from bot.storage.tables import metadata
from bot.storage.types import UTCDateTime

live_subscriptions = Table(
    "live_subscriptions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("guild_id", BigInteger, nullable=False),
    Column("channel_id", BigInteger, nullable=False, unique=True),
    Column("coin", String(16)),
    Column("language", String(8)),
    Column("min_sources", Integer, nullable=False, default=1),
    # Only stories whose lead article is newer than this (the newest at subscribe time,
    # or lower by the LIVE_BACKLOG allowance): subscribing posts no backlog.
    Column("since_article_id", BigInteger, nullable=False, default=0),
    Column("created_by", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("disabled_reason", Text),
    Column("disabled_at", UTCDateTime),
    Index("ix_live_subscriptions_guild", "guild_id"),
)

live_deliveries = Table(
    "live_deliveries",
    metadata,
    *_delivery_columns("live_subscriptions"),
    Column("lead_article_id", BigInteger),  # NULL for an overflow ("N more stories") row
    Column("story_id", BigInteger),  # the story when claimed (stories may merge later)
    # An overflow row: the comma-separated leads of the stories it carries (at most
    # live_rounds.MAX_BUNDLE of them, so the text stays bounded).
    Column("bundle", Text),
    Index("ix_live_deliveries_state", "state", "lease_until"),
    Index("ix_live_deliveries_claim", "claim_token"),
    Index("ix_live_deliveries_sub", "subscription_id", "created_at"),
)
