"""Store each article once per feed: unique keys (feed, GUID) and (feed, canonical link) and
insert-ignore, in batches (executemany), since a statement per article costs more than the
work itself.

Keys are per feed: a feed that repeats another feed's links (a server's own feed copying
CoinDesk, say) stores its own rows and never keeps the other feed from storing its articles.
A feed that gives several items one GUID has those items keyed by their link instead.

Articles are stored without a story, for bot/news/cluster.py to group after the pass; except
that an article whose canonical link and title another feed's clustered article already has
joins that article's story at once (the same article from two feeds: one story, two sources).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.news import dedupe
from bot.news.normalize import Article
from bot.news.tables import article_coins, articles, stories
from bot.storage import Database
from bot.storage.bulk import execute_many

_CHUNK = 500  # bound on IN (...) lists
# Items already this old when first seen are old news (a feed back after an outage, a site
# republishing its archive): stored, but marked as backlog so nothing alerts on them.
STALE_AFTER = timedelta(hours=24)


def chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def item_keys(batch: Sequence[Article], stored: Mapping[str, str]) -> list[str]:
    """The key (the `guid` column) each article is stored under: its GUID, or its link when
    the feed uses that GUID for another item too, in this document or among the feed's
    stored rows (`stored`: key -> link)."""
    links: dict[str, set[str]] = defaultdict(set)
    for a in batch:
        links[a.guid].add(a.link)
    return [
        a.link if len(links[a.guid]) > 1 or stored.get(a.guid, a.link) != a.link else a.guid
        for a in batch
    ]


def _title_key(title: str) -> frozenset[str]:
    return dedupe.title_tokens(title) or frozenset([title.casefold()])


async def store_articles(
    db: Database, feed_id: int, batch: Sequence[Article], *, now: datetime, backlog: bool
) -> int:
    """Insert the articles this feed has not stored yet (same key or same canonical link in
    this feed: skipped).

    `backlog` (the feed's first fetch) marks them all as old news; otherwise only those
    older than STALE_AFTER are. Returns how many were new."""
    if not batch:
        return 0
    async with db.begin() as conn:
        stored: dict[str, str] = {}  # this feed's rows: key -> link
        stored_links: set[str] = set()
        for chunk in chunks(batch):
            keys = {a.guid for a in chunk} | {a.link for a in chunk}
            found = await conn.execute(
                sa.select(articles.c.guid, articles.c.link).where(
                    articles.c.feed_id == feed_id, articles.c.guid.in_(keys)
                )
            )
            stored.update({row.guid: row.link for row in found})
            found = await conn.execute(
                sa.select(articles.c.link).where(
                    articles.c.feed_id == feed_id, articles.c.link.in_([a.link for a in chunk])
                )
            )
            stored_links.update(found.scalars())
        seen_keys = set(stored)
        fresh: list[tuple[str, Article]] = []
        for key, article in zip(item_keys(batch, stored), batch, strict=True):
            # also drops repeats inside the document itself
            if key in seen_keys or article.link in stored_links:
                continue
            seen_keys.add(key)
            stored_links.add(article.link)
            fresh.append((key, article))
        if not fresh:
            return 0
        story_of = await _stories_by_link(conn, feed_id, [a for _, a in fresh])
        # insert-ignore still: another writer may have stored the same item since the check.
        await execute_many(
            conn,
            db.insert_ignore(articles),
            [
                {
                    "feed_id": feed_id,
                    "guid": key,
                    "link": a.link,
                    "title": a.title,
                    "summary": a.summary,
                    "language": a.language,
                    "source": a.source,
                    "published_at": a.published_at,
                    "fetched_at": now,
                    "date_estimated": a.date_estimated,
                    "is_backlog": backlog or a.published_at < now - STALE_AFTER,
                    "story_id": story_of.get(a.link),
                }
                for key, a in fresh
            ],
        )
        ids: dict[str, int] = {}
        for chunk in chunks(fresh):
            found = await conn.execute(
                sa.select(articles.c.link, articles.c.id).where(
                    articles.c.feed_id == feed_id,
                    articles.c.link.in_([a.link for _, a in chunk]),
                )
            )
            ids.update({row.link: row.id for row in found})
        coins = [
            {"article_id": ids[a.link], "coin": c}
            for _, a in fresh
            if a.link in ids
            for c in a.coins
        ]
        if coins:
            await execute_many(conn, db.insert_ignore(article_coins), coins)
        if story_of:
            await _recount(conn, sorted(set(story_of.values())))
    return len(ids)


async def _stories_by_link(
    conn: AsyncConnection, feed_id: int, fresh: Sequence[Article]
) -> dict[str, int]:
    """link -> story of another feed's clustered article with that canonical link and title.

    The title must agree as well: a link alone is whatever a feed claims, and a feed repeating
    CoinDesk's links under titles of its own must not pull CoinDesk's articles into its
    stories. Anything else is left to clustering, like every other article.
    """
    titles = {a.link: _title_key(a.title) for a in fresh}
    found: dict[str, int] = {}
    for chunk in chunks(list(titles)):
        rows = await conn.execute(
            sa.select(articles.c.link, articles.c.title, articles.c.story_id)
            .where(
                articles.c.link.in_(chunk),
                articles.c.feed_id != feed_id,
                articles.c.story_id.is_not(None),
            )
            .order_by(articles.c.id)
        )
        for row in rows:
            if row.link not in found and _title_key(row.title) == titles[row.link]:
                found[row.link] = row.story_id
    return found


async def _recount(conn: AsyncConnection, story_ids: Sequence[int]) -> None:
    """Article count and first/last publication of stories that gained articles here."""
    member = articles.c.story_id == stories.c.id
    for chunk in chunks(story_ids):
        await conn.execute(
            stories.update()
            .where(stories.c.id.in_(chunk))
            .values(
                article_count=sa.select(sa.func.count())
                .select_from(articles)
                .where(member)
                .scalar_subquery(),
                first_seen_at=sa.select(sa.func.min(articles.c.published_at))
                .where(member)
                .scalar_subquery(),
                last_seen_at=sa.select(sa.func.max(articles.c.published_at))
                .where(member)
                .scalar_subquery(),
            )
        )
