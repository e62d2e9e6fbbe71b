"""The process's HTTP client for fixed, configured hosts (market APIs, model downloads)."""

from __future__ import annotations

import httpx

from bot.config import Settings


def make_http_client(settings: Settings) -> httpx.AsyncClient:
    """The one HTTP client of the process: timeouts, a real User-Agent, pooled connections."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.http_timeout, connect=min(10.0, settings.http_timeout)),
        headers={"User-Agent": settings.http_user_agent},
        follow_redirects=True,
        max_redirects=5,
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
    )
