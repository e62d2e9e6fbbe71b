"""`top_stories` ranks in SQL; these tests hold it to the Python ranking it replaced.

The reference below is the former implementation (load every article of the window and its
coins, one StoryView per story, filter by coin, sort, cut), with its rows read in
(published_at, story_id) order: the old query had no ORDER BY, so ties came in scan order;
reading the rows in that order gives the tie-break the SQL ranking makes explicit (first
reported earlier, then the lower story id). Runs on SQLite and, with TEST_DATABASE_URL, on
PostgreSQL (tests/conftest.py).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.compose.localize import localize_stories
from bot.news.query import (
    NEWEST_PER_LANGUAGE,
    REPORTS_PER_LANGUAGE,
    StoryView,
    _view,
    coin_counts,
    top_stories,
)
from bot.news.tables import article_coins, articles, feeds, stories
from bot.storage import Database
from bot.translate.store import Translation, pending, save_translations

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
LANGUAGES = ["en", "nl", "de"]
COINS = ["BTC", "ETH", "XRP", "SOL"]
# Outlet names; two feeds share "Daily" (one outlet counts once per story).
SOURCES = ["Daily", "Daily", "Nieuws", "Zeitung", "Wire", "Block"]


async def reference(
    db: Database,
    *,
    now: datetime,
    hours: int = 24,
    language: str | None = None,
    coin: str | None = None,
    limit: int = 5,
    feed_ids: Collection[int] | None = None,
) -> list[StoryView]:
    """The ranking as bot/news/query.py computed it in Python before it moved into SQL."""
    query = (
        sa.select(
            articles.c.id,
            articles.c.story_id,
            articles.c.title,
            articles.c.summary,
            articles.c.link,
            articles.c.source,
            articles.c.language,
            articles.c.published_at,
        )
        .where(
            articles.c.published_at > now - timedelta(hours=hours),
            articles.c.published_at <= now,
            articles.c.story_id.is_not(None),
        )
        .order_by(articles.c.published_at, articles.c.story_id)
    )
    if language:
        query = query.where(articles.c.language == language)
    if feed_ids is not None:
        query = query.where(articles.c.feed_id.in_(list(feed_ids)))
    async with db.connection() as conn:
        rows = (await conn.execute(query)).all()
        coins: dict[int, list[str]] = defaultdict(list)
        found = await conn.execute(sa.select(article_coins.c.article_id, article_coins.c.coin))
        for article_id, ticker in found:
            coins[article_id].append(ticker)
    by_story: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_story[r.story_id].append(r)
    views = [_view(sid, group, coin_counts(group, coins)) for sid, group in by_story.items()]
    if coin:
        views = [v for v in views if coin.upper() in v.coins]
    latest = {sid: max(r.published_at for r in group) for sid, group in by_story.items()}
    views.sort(key=lambda v: (len(v.sources), latest[v.story_id]), reverse=True)
    return views[:limit]


async def seed(db: Database, rng: random.Random) -> list[int]:
    """Six feeds, 80 stories of 1-7 articles: shared outlets, three languages, coins, times on
    a coarse grid (ties in both sort keys) including both window edges; returns feed ids."""
    # Hours before NOW; 24 and -1/60 fall just outside a 24-hour window, 0 on its edge.
    offsets = [0, 0.5, 1, 1, 2, 3, 5, 6, 6, 12, 23, 23.99, 24, 30, 47, -1 / 60]
    async with db.begin() as conn:
        feed_ids = []
        for n, source in enumerate(SOURCES):
            feed_ids.append(
                (
                    await conn.execute(
                        sa.insert(feeds).values(
                            url=f"https://f{n}.example/rss",
                            name=source,
                            language=LANGUAGES[n % 3],
                            created_at=NOW,
                        )
                    )
                ).inserted_primary_key[0]
            )
        serial = 0
        for s in range(80):
            story_id = (
                await conn.execute(
                    sa.insert(stories).values(
                        title=f"story {s}",
                        language="en",
                        signature=str(s),
                        first_seen_at=NOW,
                        last_seen_at=NOW,
                    )
                )
            ).inserted_primary_key[0]
            # Every tenth story's articles are unclustered (story_id NULL): never ranked.
            clustered = s % 10 != 9
            for _ in range(rng.randint(1, 7)):
                serial += 1
                feed = rng.randrange(len(feed_ids))
                when = NOW - timedelta(hours=rng.choice(offsets))
                article_id = (
                    await conn.execute(
                        sa.insert(articles).values(
                            feed_id=feed_ids[feed],
                            story_id=story_id if clustered else None,
                            guid=f"g{serial}",
                            link=f"https://x.example/{serial}",
                            title=f"title {serial} of {s}",
                            summary="" if rng.random() < 0.3 else f"summary {serial}",
                            language=rng.choice(LANGUAGES),
                            source=SOURCES[feed],
                            published_at=when,
                            fetched_at=when,
                        )
                    )
                ).inserted_primary_key[0]
                for ticker in rng.sample(COINS, rng.choice([0, 0, 1, 1, 2])):
                    await conn.execute(
                        sa.insert(article_coins).values(article_id=article_id, coin=ticker)
                    )
    return feed_ids


@pytest.mark.parametrize("seed_value", [1, 2, 3])
async def test_sql_ranking_matches_the_python_ranking(db: Database, seed_value: int) -> None:
    rng = random.Random(seed_value)
    feed_ids = await seed(db, rng)
    questions: list[dict[str, Any]] = [{}]
    for hours in (1, 6, 24, 48):
        for language in (None, "", "en", "nl", "fr"):
            for coin in (None, "btc", "XRP", "DOGE"):
                for feeds_of in (None, [], feed_ids[:2], feed_ids[1:5], feed_ids):
                    questions.append(
                        {
                            "hours": hours,
                            "language": language,
                            "coin": coin,
                            "feed_ids": feeds_of,
                            "limit": rng.choice([1, 5, 10, 1000]),
                        }
                    )
    nonempty = 0
    for ask in questions:
        expected = await reference(db, now=NOW, **ask)
        got = await top_stories(db, now=NOW, **ask)
        assert got == expected, ask
        nonempty += bool(got)
    # Many questions find stories ("fr", DOGE and no feeds find none, as they should).
    assert nonempty > len(questions) // 3
    everything = await top_stories(db, now=NOW, hours=48, limit=1000)
    counts = [len(s.sources) for s in everything]
    assert len(set(counts)) > 2 and len(set(counts)) < len(counts)  # several counts, and ties
    newest = [(len(s.sources), max(t.article_id for t in s.texts)) for s in everything]
    assert len(set(newest)) == len(newest)


async def test_ties_are_broken_by_first_report_then_story(db: Database) -> None:
    """Equal outlets and equal newest report: the story first reported earlier leads, then
    the lower story id, on either database."""
    rng = random.Random(7)
    await seed(db, rng)
    async with db.begin() as conn:
        feed = await conn.scalar(sa.select(sa.func.min(feeds.c.id)))
        made = []
        for n, first in enumerate([3, 5, 5]):
            sid = (
                await conn.execute(
                    sa.insert(stories).values(
                        title=f"tie {n}",
                        language="en",
                        signature=f"tie{n}",
                        first_seen_at=NOW,
                        last_seen_at=NOW,
                    )
                )
            ).inserted_primary_key[0]
            made.append(sid)
            for k, hours in enumerate([first, 0.25]):
                when = NOW - timedelta(hours=hours)
                await conn.execute(
                    sa.insert(articles).values(
                        feed_id=feed,
                        story_id=sid,
                        guid=f"tie{n}-{k}",
                        link=f"https://tie.example/{n}/{k}",
                        title=f"tie {n}",
                        summary="",
                        language="en",
                        source=f"Tie outlet {k}",
                        published_at=when,
                        fetched_at=when,
                    )
                )
    got = await top_stories(db, now=NOW, hours=48, limit=1000, feed_ids=[feed])
    tied = [s.story_id for s in got if s.story_id in made]
    assert tied == [made[1], made[2], made[0]]
    assert got == await reference(db, now=NOW, hours=48, limit=1000, feed_ids=[feed])


async def test_no_limit_no_stories(db: Database) -> None:
    await seed(db, random.Random(4))
    assert await top_stories(db, now=NOW, limit=0) == []


async def seed_story(db: Database, plan: list[tuple[str, str, str]]) -> int:
    """One story whose reports are `plan`'s (outlet, language, ticker or ""), a minute apart
    in that order, all in the window; the outlets are feeds of their own. Returns its id."""
    async with db.begin() as conn:
        feed_ids: dict[str, int] = {}
        for name in dict.fromkeys(source for source, _, _ in plan):
            feed_ids[name] = (
                await conn.execute(
                    sa.insert(feeds).values(
                        url=f"https://{name}.example/rss", name=name, language="en", created_at=NOW
                    )
                )
            ).inserted_primary_key[0]
        sid = (
            await conn.execute(
                sa.insert(stories).values(
                    title="echo",
                    language="en",
                    signature="echo",
                    first_seen_at=NOW,
                    last_seen_at=NOW,
                )
            )
        ).inserted_primary_key[0]
        for n, (source, language, ticker) in enumerate(plan):
            when = NOW - timedelta(hours=20) + timedelta(minutes=n)
            article_id = (
                await conn.execute(
                    sa.insert(articles).values(
                        feed_id=feed_ids[source],
                        story_id=sid,
                        guid=f"echo{n}",
                        link=f"https://echo.example/{n}",
                        title=f"echo {n}",
                        summary="",
                        language=language,
                        source=source,
                        published_at=when,
                        fetched_at=when,
                    )
                )
            ).inserted_primary_key[0]
            if ticker:
                await conn.execute(
                    sa.insert(article_coins).values(article_id=article_id, coin=ticker)
                )
    return sid


def titles(numbers: Iterable[int]) -> list[str]:
    return [f"echo {n}" for n in numbers]


async def test_a_story_of_hundreds_of_reports_reads_a_bounded_view(db: Database) -> None:
    """A feed re-publishing one title under new links grows one story without end; a view of
    it reads the first and the newest reports of each language and each outlet's first, while
    the outlets, the languages and the coin counts still cover every report."""
    # 300 English reports from Echo, then 30 Dutch ones from Nieuws, then one from Late.
    plan = [("Echo", "en", "SOL")] * 300 + [("Nieuws", "nl", "ETH")] * 30 + [("Late", "en", "")]
    await seed_story(db, plan)
    [story] = await top_stories(db, now=NOW, limit=1)
    by_language = defaultdict(list)
    for text in story.texts:
        by_language[text.language].append(text.title)
    first, newest = REPORTS_PER_LANGUAGE, NEWEST_PER_LANGUAGE
    assert by_language["en"] == titles([*range(first), *range(300 - newest + 1, 300), 330])
    assert by_language["nl"] == titles([*range(300, 300 + first), *range(330 - newest, 330)])
    assert story.article_ids == [t.article_id for t in story.texts]
    assert story.title == "echo 0" and story.sources == ["Echo", "Nieuws", "Late"]
    assert story.languages == ["en", "nl"]
    # 300 mentions against 30 over every report (over the reports read, ETH would lead).
    assert story.coins == ["SOL", "ETH"]
    # The same story through the language filter: its own reports, its own outlets.
    [dutch] = await top_stories(db, now=NOW, language="nl", limit=1)
    assert [t.title for t in dutch.texts] == by_language["nl"]
    assert dutch.sources == ["Nieuws"] and dutch.coins == ["ETH"]


async def test_a_long_storys_translation_is_found_in_the_order_the_pipeline_makes_them(
    db: Database,
) -> None:
    """The pipeline translates the newest reports first (translate.store.pending): a reader
    of another language sees the story translated as soon as one is, not "pending" because
    the translated report lies past the first ones a view reads."""
    await seed_story(db, [("Nieuws", "nl", "")] * 60)
    [newest] = await pending(db, target_lang="en", model="opus", limit=1)
    done = Translation(newest.article_id, "en", "nl", "opus", "Echo in English", "", "ok")
    await save_translations(db, [done], now=NOW)
    [story] = await top_stories(db, now=NOW, limit=1)
    [text] = await localize_stories(db, [story], "en", translate=True, now=NOW)
    assert (text.title, text.shown) == ("Echo in English", "translated")
