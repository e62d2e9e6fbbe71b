"""Run-time Table objects for migrations m0004_guilds, m0007_guild_limits, m0008 and m0011."""

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, String, Table

from bot.storage.tables import metadata
from bot.storage.types import UTCDateTime

guild_settings = Table(
    "guild_settings",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("language", String(8)),
    Column("translate", Boolean),  # m0008; NULL = on (bot/translate/)
    # m0011: what the server's Discord locale implies ("nl"), until `language` is chosen
    Column("locale_language", String(8)),
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

# Migration m0007_guild_limits.

command_attempts = Table(
    "command_attempts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("action", String(40), nullable=False),
    Column("guild_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("attempted_at", UTCDateTime, nullable=False),
    Index("ix_command_attempts_guild", "action", "guild_id", "attempted_at"),
    Index("ix_command_attempts_user", "action", "user_id", "attempted_at"),
)

guild_removals = Table(
    "guild_removals",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("removed_at", UTCDateTime, nullable=False),
    Column("source", String(16), nullable=False),  # "event" (GUILD_DELETE) or "startup"
)
