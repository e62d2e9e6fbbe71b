"""`/feeds add` as one domain step: limits first, then the guarded check, then the insert.

Cheap refusals come before the download: a full server, then the per-server and per-user
rate limits (which count the attempt). Only then is the URL fetched, through the guarded
feed client with the smaller FEEDS_ADD_MAX_BYTES cap, and stored under the atomic limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.errors import BadInput
from bot.guilds.feeds import GuildFeed, add_guild_feed, check_room_for_feed, feed_refusal
from bot.guilds.ratelimit import FEEDS_ADD, Limits, take_attempt
from bot.news.validate import FeedCheck, FeedUrlError, check_feed_url
from bot.storage import Database
from bot.utils.http.feed_client import FeedClient


@dataclass(frozen=True)
class AddedFeed:
    feed: GuildFeed
    check: FeedCheck


async def add_feed_from_url(
    db: Database,
    http: FeedClient,
    settings: Settings,
    *,
    guild_id: int,
    user_id: int,
    url: str,
    now: datetime,
) -> AddedFeed:
    """Validate `url` and add it to the server's own feeds; BadInput/RateLimited say why not."""
    url = url.strip()
    await check_room_for_feed(db, guild_id, url, settings.guild_feed_limit)
    # Every attempt that gets this far downloads something: counted before the download.
    await take_attempt(
        db,
        FEEDS_ADD,
        guild_id=guild_id,
        user_id=user_id,
        limits=Limits(
            per_guild=settings.feeds_add_per_guild,
            per_user=settings.feeds_add_per_user,
            window=timedelta(seconds=settings.feeds_add_window_seconds),
        ),
        now=now,
    )
    try:
        check = await check_feed_url(
            http,
            url,
            # A smaller cap than the periodic pass: a server admin picks this URL.
            max_bytes=min(settings.feeds_add_max_bytes, settings.http_max_bytes),
            allow_private=settings.feeds_allow_private,
            max_entries=settings.feed_max_entries,
        )
    except FeedUrlError as exc:
        raise BadInput(feed_refusal(exc.reason)) from exc
    feed = await add_guild_feed(
        db,
        guild_id,
        url=check.url,
        name=check.title,
        language=check.language,
        added_by=user_id,
        limit=settings.guild_feed_limit,
        now=now,
    )
    return AddedFeed(feed, check)
