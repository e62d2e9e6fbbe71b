"""score_pending, sentiment_for_articles and the aggregates against a migrated SQLite db."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.news.tables import article_coins, articles, feeds
from bot.sentiment.aggregate import (
    ScoredArticle,
    latest_scored_at,
    load_scored,
    sentiment_summary,
    summarize,
)
from bot.sentiment.lexicon import LexiconBackend
from bot.sentiment.store import article_text, score_pending, sentiment_for_articles
from bot.sentiment.types import Sentiment
from bot.storage import Database

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass
class FixedBackend:
    """Scores every text the same; records what it was asked."""

    label: str
    score: float
    name: str = "fixed"
    model: str = "v1"

    def __post_init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def score_batch(self, texts: list[str], languages: list[str]) -> list[Sentiment]:
        self.seen += list(zip(texts, languages, strict=True))
        return [Sentiment(self.label, self.score, 0.9, self.name, self.model) for _ in texts]  # type: ignore[arg-type]


async def add_articles(
    db: Database, rows: list[tuple[str, str, datetime, list[str]]], feed: str = "feed"
) -> list[int]:
    """Insert a feed and articles (title, language, published_at, coins); returns the ids."""
    ids = []
    async with db.begin() as conn:
        feed_id = (
            await conn.execute(
                feeds.insert().values(
                    url=f"https://example.test/{feed}",
                    name=feed,
                    language="en",
                    is_default=True,  # a configured feed: what the CLI reads
                    created_at=NOW,
                )
            )
        ).inserted_primary_key[0]
        for n, (title, language, published, coins) in enumerate(rows):
            result = await conn.execute(
                articles.insert().values(
                    feed_id=feed_id,
                    guid=f"g{n}",
                    link=f"https://example.test/{feed}/{n}",
                    title=title,
                    summary="",
                    language=language,
                    source="Test",
                    published_at=published,
                    fetched_at=published,
                )
            )
            article_id = result.inserted_primary_key[0]
            ids.append(article_id)
            for coin in coins:
                await conn.execute(article_coins.insert().values(article_id=article_id, coin=coin))
    return ids


async def test_score_pending_scores_each_article_once(db: Database) -> None:
    ids = await add_articles(
        db,
        [
            ("Bitcoin surges to record high", "en", NOW - timedelta(hours=1), ["BTC"]),
            ("Ether koers keldert na hack", "nl", NOW - timedelta(hours=2), ["ETH"]),
            ("Markets wait for the Fed", "en", NOW - timedelta(hours=3), []),
        ],
    )
    backend = LexiconBackend()
    assert await score_pending(db, backend, batch_size=2) == 3
    assert await score_pending(db, backend) == 0
    scores = await sentiment_for_articles(db, ids)
    assert [scores[i].label for i in ids] == ["bullish", "bearish", "neutral"]
    assert {(s.backend, s.model) for s in scores.values()} == {(backend.name, backend.model)}


async def test_a_new_model_rescores_and_wins_for_display(db: Database) -> None:
    ids = await add_articles(db, [("Bitcoin surges", "en", NOW, []), ("Bitcoin", "nl", NOW, [])])
    await score_pending(db, LexiconBackend())
    newer = FixedBackend("bearish", -0.5)
    assert await score_pending(db, newer, limit=1) == 1  # limit respected, newest first
    assert await score_pending(db, newer) == 1
    assert sorted(lang for _, lang in newer.seen) == ["en", "nl"]
    scores = await sentiment_for_articles(db, [*ids, 999])
    assert set(scores) == set(ids)
    assert all((s.backend, s.label) == ("fixed", "bearish") for s in scores.values())


async def test_summary_from_db_by_coin_and_period(db: Database) -> None:
    await add_articles(
        db,
        [
            ("a", "en", NOW - timedelta(hours=2), ["BTC"]),
            ("b", "en", NOW - timedelta(hours=30), ["BTC"]),
            ("c", "en", NOW - timedelta(hours=3), ["ETH"]),
            ("d", "en", NOW - timedelta(days=3), ["BTC"]),  # outside both 24h windows
        ],
    )
    await score_pending(db, FixedBackend("bullish", 0.8))
    summary = await sentiment_summary(db, period="24h", coin="btc", now=NOW)
    assert summary.coin == "BTC"
    assert (summary.current.articles, summary.previous.articles) == (1, 1)
    assert summary.current.counts["bullish"] == 1
    everything = await sentiment_summary(db, period="7d", now=NOW)
    assert everything.current.articles == 4
    assert everything.sources == {("fixed", "v1"): 4}


async def feed_of(db: Database, article_id: int) -> int:
    async with db.connection() as conn:
        found = await conn.scalar(sa.select(articles.c.feed_id).where(articles.c.id == article_id))
    return int(found)


async def test_summary_and_scores_of_a_feed_set_only(db: Database) -> None:
    ours = await add_articles(
        db,
        [
            ("a", "en", NOW - timedelta(hours=2), ["BTC"]),
            ("b", "en", NOW - timedelta(hours=30), ["BTC"]),
        ],
    )
    theirs = await add_articles(
        db,
        [
            ("x", "en", NOW - timedelta(hours=1), ["BTC", "PEPE"]),
            ("y", "en", NOW - timedelta(hours=3), ["PEPE"]),
        ],
        feed="phish",
    )
    await score_pending(db, FixedBackend("bullish", 0.8))
    mine, other = [await feed_of(db, ours[0])], [await feed_of(db, theirs[0])]

    loaded = await load_scored(db, since=NOW - timedelta(days=2), until=NOW, feed_ids=mine)
    assert sorted(s.article_id for s in loaded) == sorted(ours)
    summary = await sentiment_summary(db, period="24h", coin="btc", now=NOW, feed_ids=mine)
    assert (summary.current.articles, summary.previous.articles) == (1, 1)
    assert (await sentiment_summary(db, coin="PEPE", now=NOW, feed_ids=mine)).current.articles == 0
    assert (await sentiment_summary(db, coin="PEPE", now=NOW, feed_ids=other)).current.articles == 2
    nothing = await sentiment_summary(db, now=NOW, feed_ids=[])
    assert nothing.current.articles == 0 and nothing.previous.articles == 0
    assert await latest_scored_at(db, feed_ids=mine) == NOW - timedelta(hours=2)
    assert await latest_scored_at(db, feed_ids=[]) is None


def scored(hours_ago: float, label: str, score: float, backend: str = "lexicon") -> ScoredArticle:
    return ScoredArticle(0, NOW - timedelta(hours=hours_ago), label, score, backend, "m")  # type: ignore[arg-type]


def test_summarize_current_previous_and_change() -> None:
    items = [
        scored(1, "bullish", 0.8),
        scored(5, "bearish", -0.4),
        scored(23.9, "neutral", 0.0, backend="transformers"),
        scored(24, "bearish", -0.6),  # exactly one period ago: previous period
        scored(47, "neutral", 0.2),
        scored(49, "bullish", 1.0),  # too old for either
    ]
    s = summarize(items, period="24h", now=NOW, coin="BTC")
    assert s.current.articles == 3
    assert s.current.mean_score == pytest.approx(0.4 / 3)
    assert s.current.counts == {"bearish": 1, "neutral": 1, "bullish": 1}
    assert s.previous.articles == 2
    assert s.previous.mean_score == pytest.approx(-0.2)
    assert s.change == pytest.approx(0.4 / 3 + 0.2)
    assert s.sources == {("lexicon", "m"): 2, ("transformers", "m"): 1}
    assert s.current.start == NOW - timedelta(hours=24)


def test_summarize_empty_periods_have_no_change() -> None:
    s = summarize([scored(1, "bullish", 0.5)], period="7d", now=NOW)
    assert s.previous.mean_score is None
    assert s.change is None
    with pytest.raises(ValueError, match="unknown period"):
        summarize([], period="1y", now=NOW)
    with pytest.raises(ValueError, match="timezone"):
        summarize([], period="7d", now=NOW.replace(tzinfo=None))


def test_article_text_joins_title_and_summary() -> None:
    assert article_text("Bitcoin up", "") == "Bitcoin up"
    assert article_text("Bitcoin up", "It rose 5%.") == "Bitcoin up. It rose 5%."
    assert article_text("Bitcoin up", "Bitcoin up today") == "Bitcoin up today"
    assert len(article_text("t", "x" * 5000)) < 400


async def test_the_summary_summed_in_sql_equals_summarize_of_the_loaded_scores(
    db: Database,
) -> None:
    hours = [0.5, 2, 23.9, 24, 30, 47.9, 48, 60]  # 24 h: exactly one period ago is "previous"
    ids = await add_articles(
        db,
        [
            (f"t{n}", "en", NOW - timedelta(hours=h), ["BTC"] if n % 2 else ["ETH"])
            for n, h in enumerate(hours)
        ],
    )
    await score_pending(db, LexiconBackend())
    # A second model scores some articles, differently: the summary must count each once.
    await score_pending(db, FixedBackend("bearish", -0.7, name="transformers"), limit=3)
    await score_pending(db, FixedBackend("bullish", 0.9, name="other", model="v2"), limit=5)
    for prefer in (None, ("transformers", "v1"), ("lexicon", LexiconBackend().model)):
        for coin in (None, "btc"):
            for feed_ids in (None, [await feed_of(db, ids[0])], []):
                scores = await load_scored(
                    db,
                    since=NOW - timedelta(hours=48),
                    until=NOW,
                    coin=coin,
                    prefer=prefer,
                    feed_ids=feed_ids,
                )
                assert len({s.article_id for s in scores}) == len(scores)
                expected = summarize(
                    scores, period="24h", now=NOW, coin=coin.upper() if coin else None
                )
                got = await sentiment_summary(
                    db, period="24h", coin=coin, now=NOW, prefer=prefer, feed_ids=feed_ids
                )
                for mine, theirs in (
                    (got.current, expected.current),
                    (got.previous, expected.previous),
                ):
                    assert (mine.start, mine.end) == (theirs.start, theirs.end)
                    assert mine.articles == theirs.articles
                    assert mine.counts == theirs.counts
                    assert mine.mean_score == pytest.approx(theirs.mean_score)
                assert got.sources == expected.sources
                assert got.coin == expected.coin


async def test_load_scored_prefers_the_given_model_else_the_latest(db: Database) -> None:
    [article] = await add_articles(db, [("Bitcoin surges", "en", NOW - timedelta(hours=1), [])])
    await score_pending(db, LexiconBackend())
    await score_pending(db, FixedBackend("bearish", -0.5))  # scored later: the latest
    window = {"since": NOW - timedelta(days=1), "until": NOW}
    [latest] = await load_scored(db, **window)
    assert (latest.article_id, latest.backend) == (article, "fixed")
    [preferred] = await load_scored(db, **window, prefer=("lexicon", LexiconBackend().model))
    assert preferred.backend == "lexicon"
    [missing] = await load_scored(db, **window, prefer=("absent", "x"))
    assert missing.backend == "fixed"
