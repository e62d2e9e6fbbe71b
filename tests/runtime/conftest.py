"""The Discord end-to-end fixtures (the feed server) for the runtime tests."""

from tests.discord.conftest import feed_server  # noqa: F401
