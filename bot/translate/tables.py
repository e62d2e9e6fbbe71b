"""Run-time Table object for migration m0008_translations."""

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text

from bot.storage.tables import metadata
from bot.storage.types import UTCDateTime

article_translations = Table(
    "article_translations",
    metadata,
    Column(
        "article_id", BigInteger, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("target_lang", String(8), primary_key=True),
    Column("model", String(255), primary_key=True),
    Column("source_lang", String(8), nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("status", String(16), nullable=False),  # "ok" | "fallback"
    Column("problems", Text),
    Column("translated_at", UTCDateTime, nullable=False),
    Index("ix_article_translations_recent", "target_lang", "translated_at"),
)
