"""Run-time Table objects for the market schema (created by migration m0003_market)."""

from sqlalchemy import BigInteger, Boolean, Column, Date, Float, Index, String, Table, Text

from bot.storage.tables import metadata
from bot.storage.types import UTCDateTime

market_series = Table(
    "market_series",
    metadata,
    Column("series", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("value", Float, nullable=False),
    Column("source", String(32), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

signal_events = Table(
    "signal_events",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_key", String(128), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("series", String(32), nullable=False),
    Column("event_day", Date, nullable=False),
    Column("payload", Text, nullable=False),
    Column("is_backfill", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Index("ix_signal_events_pending", "delivered_at", "is_backfill"),
)
