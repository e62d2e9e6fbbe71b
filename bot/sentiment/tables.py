"""Run-time Table objects for sentiment scores (created by migration m0002_sentiment)."""

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Index, String, Table

from bot.storage.tables import metadata
from bot.storage.types import UTCDateTime

article_sentiment = Table(
    "article_sentiment",
    metadata,
    Column(
        "article_id",
        BigInteger,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("backend", String(32), primary_key=True),
    Column("model", String(255), primary_key=True),
    Column("label", String(8), nullable=False),
    Column("score", Float, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("scored_at", UTCDateTime, nullable=False),
    Index("ix_article_sentiment_backend", "backend", "model"),
)
