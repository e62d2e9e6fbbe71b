"""Run-time Table objects for the news schema (created by migration m0001_news; articles'
unique keys per feed since m0006_article_keys)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.storage.tables import metadata
from bot.storage.types import UTCDateTime

feeds = Table(
    "feeds",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)

feed_state = Table(
    "feed_state",
    metadata,
    Column("feed_id", BigInteger, ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True),
    Column("status", String(16), nullable=False, default="new"),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("last_fetch_at", UTCDateTime),
    Column("last_ok_at", UTCDateTime),
    Column("next_fetch_at", UTCDateTime),
    Column("initialized", Boolean, nullable=False, default=False),
)

stories = Table(
    "stories",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("signature", Text, nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("article_count", Integer, nullable=False, default=1),
    Index("ix_stories_last_seen", "last_seen_at"),
)

articles = Table(
    "articles",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("feed_id", BigInteger, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("story_id", BigInteger, ForeignKey("stories.id", ondelete="SET NULL")),
    # The item's key in its feed: the feed's GUID, or the link for a GUID it repeats.
    Column("guid", Text, nullable=False),
    Column("link", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("source", Text, nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
    Column("date_estimated", Boolean, nullable=False, default=False),
    Column("is_backlog", Boolean, nullable=False, default=False),
    # Unique per feed, never across feeds: two feeds with one link are two rows (one story).
    UniqueConstraint("feed_id", "guid"),
    UniqueConstraint("feed_id", "link"),
    Index("ix_articles_link", "link"),
    Index("ix_articles_published", "published_at"),
    Index("ix_articles_story", "story_id"),
)

article_coins = Table(
    "article_coins",
    metadata,
    Column(
        "article_id",
        BigInteger,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("coin", String(16), primary_key=True),
    Index("ix_article_coins_coin", "coin"),
)
