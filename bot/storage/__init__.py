"""Storage: one async SQLAlchemy engine (SQLite by default), versioned migrations, tables."""

from bot.storage.db import Database, normalize_database_url

__all__ = ["Database", "normalize_database_url"]
