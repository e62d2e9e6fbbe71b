"""When live rounds look for new stories: the one place that decides what "new data" means.

The bot process may not run the pipeline (it can run in a process of its own): the only
meeting point is the database. Each live tick reads the data version the pipeline bumps once
a pass has stored, scored AND translated what it fetched (bot/storage/dataversion.py), so a
post carries its sentiment badge and the reader's translation. Where nothing bumps it (0:
articles stored by other tools, the engine tests), a cheap fingerprint of the newest clustered
and scored articles stands in. Live rounds scan for stories only when this changed.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from bot.live.tables import live_subscriptions
from bot.news.tables import articles
from bot.sentiment.tables import article_sentiment
from bot.storage import Database
from bot.storage.dataversion import data_version as published_version


class DataVersion(NamedTuple):
    data: tuple[object, ...]  # the stored news: a change means new articles or scores
    subscriptions: tuple[object, ...]  # a change makes the next scan a full one


async def data_version(db: Database) -> DataVersion:
    """Changes when a pass publishes (or, without one, clusters or scores new articles), or a
    live subscription starts."""
    s = live_subscriptions
    clustered = sa.select(sa.func.max(articles.c.id)).where(articles.c.story_id.is_not(None))
    scored = sa.select(sa.func.max(article_sentiment.c.article_id))
    subs = sa.select(sa.func.count(), sa.func.max(s.c.created_at)).where(s.c.enabled.is_(True))
    async with db.connection() as conn:
        newest = await conn.scalar(clustered)
        newest_scored = await conn.scalar(scored)
        count, started = (await conn.execute(subs)).one()
    published = await published_version(db)
    data = (published,) if published else (newest, newest_scored)
    return DataVersion(data, (count, str(started)))
