"""Run-time Table objects for migration m0004_guilds."""

from sqlalchemy import BigInteger, Column, ForeignKey, String, Table

from bot.storage.tables import metadata
from bot.storage.types import UTCDateTime

guild_settings = Table(
    "guild_settings",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("language", String(8)),
    Column("updated_at", UTCDateTime, nullable=False),
)

guild_feeds = Table(
    "guild_feeds",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("feed_id", BigInteger, ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True),
    Column("added_by", BigInteger),
    Column("added_at", UTCDateTime, nullable=False),
)

guild_disabled_feeds = Table(
    "guild_disabled_feeds",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("feed_id", BigInteger, ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True),
)
