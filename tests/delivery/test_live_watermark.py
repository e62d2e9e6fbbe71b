"""A scan that runs while the pass has stored an article it has not clustered yet must not
skip that article once it gets its story (the end-to-end lost-permission test caught this
as a story that was never posted)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.delivery.memory import MemorySender
from bot.delivery.messages import LiveMessage
from bot.news.tables import articles
from bot.storage import Database
from bot.storage.dataversion import bump_data_version
from tests.delivery.live_support import add_article, add_feeds, live_subscribe
from tests.digest.conftest import Clock, EngineFactory

CHANNEL = 10


def titles(discord: MemorySender) -> list[str]:
    posts = [p.message for p in discord.posts[CHANNEL]]
    assert all(isinstance(m, LiveMessage) for m in posts)
    return [s.title for m in posts if isinstance(m, LiveMessage) for s in m.stories]


async def set_story(db: Database, article_id: int, story_id: int | None) -> None:
    async with db.begin() as conn:
        await conn.execute(
            sa.update(articles).where(articles.c.id == article_id).values(story_id=story_id)
        )


@pytest.mark.parametrize("published", [False, True])
async def test_an_article_clustered_after_a_scan_is_still_posted(
    db: Database,
    clock: Clock,
    discord: MemorySender,
    make_engine: EngineFactory,
    published: bool,
) -> None:
    await add_feeds(db, clock(), 1)
    engine = make_engine()
    await live_subscribe(db, clock(), CHANNEL)
    await engine.deliver_live()  # the first, full scan
    if published:
        await bump_data_version(db)
    story, late = await add_article(db, clock(), title="Clustered late")
    await set_story(db, late, None)  # stored, not clustered yet
    await add_article(db, clock(), title="Clustered at once")  # a larger id, with its story
    if published:
        await bump_data_version(db)  # an early publication mid-pass
    await engine.deliver_live()
    assert titles(discord) == ["Clustered at once"]

    await set_story(db, late, story)  # the pass clusters it, then publishes
    if published:
        await bump_data_version(db)
    else:  # no publishing pipeline: a scored article is what tells the fingerprint
        await add_article(db, clock(), title="Another")
    await engine.deliver_live()
    assert "Clustered late" in titles(discord)
