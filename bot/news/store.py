"""Store each article once: unique keys (feed GUID, canonical link) and insert-ignore, in
batches (executemany), since a statement per article costs more than the work itself.

Articles are stored without a story; bot/news/cluster.py groups them after the pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.news.normalize import Article
from bot.news.tables import article_coins, articles
from bot.storage import Database

_CHUNK = 500  # bound on IN (...) lists
# Items already this old when first seen are old news (a feed back after an outage, a site
# republishing its archive): stored, but marked as backlog so nothing alerts on them.
STALE_AFTER = timedelta(hours=24)


def chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


async def store_articles(
    db: Database, feed_id: int, batch: Sequence[Article], *, now: datetime, backlog: bool
) -> int:
    """Insert the articles not stored yet (same feed GUID or same canonical link: skipped).

    `backlog` (the feed's first fetch) marks them all as old news; otherwise only those
    older than STALE_AFTER are. Returns how many were new."""
    async with db.begin() as conn:
        seen_links: set[str] = set()
        seen_guids: set[str] = set()
        for chunk in chunks(batch):
            found = await conn.execute(
                sa.select(articles.c.link).where(articles.c.link.in_([a.link for a in chunk]))
            )
            seen_links.update(found.scalars())
            found = await conn.execute(
                sa.select(articles.c.guid).where(
                    articles.c.feed_id == feed_id, articles.c.guid.in_([a.guid for a in chunk])
                )
            )
            seen_guids.update(found.scalars())
        fresh: list[Article] = []
        for article in batch:  # also drops repeats inside the document itself
            if article.link in seen_links or article.guid in seen_guids:
                continue
            seen_links.add(article.link)
            seen_guids.add(article.guid)
            fresh.append(article)
        if not fresh:
            return 0
        # insert-ignore still: another writer may have stored a link since the check.
        await conn.execute(
            db.insert_ignore(articles),
            [
                {
                    "feed_id": feed_id,
                    "guid": a.guid,
                    "link": a.link,
                    "title": a.title,
                    "summary": a.summary,
                    "language": a.language,
                    "source": a.source,
                    "published_at": a.published_at,
                    "fetched_at": now,
                    "date_estimated": a.date_estimated,
                    "is_backlog": backlog or a.published_at < now - STALE_AFTER,
                    "story_id": None,
                }
                for a in fresh
            ],
        )
        ids: dict[str, int] = {}
        for chunk in chunks(fresh):
            found = await conn.execute(
                sa.select(articles.c.link, articles.c.id).where(
                    articles.c.feed_id == feed_id, articles.c.link.in_([a.link for a in chunk])
                )
            )
            ids.update({row.link: row.id for row in found})
        coins = [
            {"article_id": ids[a.link], "coin": c} for a in fresh if a.link in ids for c in a.coins
        ]
        if coins:
            await conn.execute(db.insert_ignore(article_coins), coins)
    return len(ids)
