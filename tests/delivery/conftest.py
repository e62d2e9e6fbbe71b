"""The delivery engine's tests share the digest fixtures (database, clock, memory sender)."""

from tests.digest.conftest import clock, discord, fresh_db, make_engine  # noqa: F401
