"""The Discord end-to-end fixtures (feed server, endpoint restore) for the scale tests."""

from tests.discord.conftest import feed_server, restore_endpoints  # noqa: F401
