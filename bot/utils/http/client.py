"""The plain client, for fixed, configured hosts (market APIs). Feeds never use it: they go
through bot.utils.http.feed_client, which checks every address it connects to."""

from __future__ import annotations

import httpx

from bot.config import Settings


def make_http_client(settings: Settings) -> httpx.AsyncClient:
    """Timeouts, a real User-Agent, pooled connections."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.http_timeout, connect=min(10.0, settings.http_timeout)),
        headers={"User-Agent": settings.http_user_agent},
        follow_redirects=True,
        max_redirects=5,
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
    )
