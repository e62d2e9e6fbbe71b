"""`python -m bot status`: what it reads from the shared database, and the settings that
split deliveries between shard processes."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.cli import main
from bot.config import ConfigError, Settings, load_settings
from bot.digest import store
from bot.digest.tables import digest_deliveries
from bot.discord.launcher import client_options
from bot.news.tables import articles, feed_state, feeds
from bot.runtime.health import PipelineRun, gather_status, last_pipeline_run, record_pipeline_run
from bot.sentiment.tables import article_sentiment
from bot.shards import delivery_scope, process_shards
from bot.storage import Database

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
# Guilds on shard 0 and shard 1 of 2: (id >> 22) % 2.
SHARD0, SHARD1 = (2 << 22) | 5, (3 << 22) | 5


async def seed(db: Database) -> None:
    async with db.begin() as conn:
        for n, (name, status, failures, error) in enumerate(
            [("Good Feed", "ok", 0, None), ("Broken Feed", "failing", 3, "HTTP 503")], 1
        ):
            await conn.execute(
                sa.insert(feeds).values(
                    id=n,
                    url=f"https://f{n}.example/rss",
                    name=name,
                    language="en",
                    is_default=True,
                    enabled=True,
                    created_at=NOW,
                )
            )
            await conn.execute(
                sa.insert(feed_state).values(
                    feed_id=n,
                    status=status,
                    failures=failures,
                    last_error=error,
                    last_ok_at=NOW - timedelta(hours=failures),
                    next_fetch_at=NOW,
                )
            )
        for n in range(1, 4):
            await conn.execute(
                sa.insert(articles).values(
                    id=n,
                    feed_id=1,
                    guid=f"g{n}",
                    link=f"https://f1.example/{n}",
                    title=f"Story {n}",
                    summary="",
                    language="en",
                    source="Good Feed",
                    published_at=NOW,
                    fetched_at=NOW,
                )
            )
        await conn.execute(
            sa.insert(article_sentiment).values(
                article_id=1,
                backend="lexicon",
                model="v1",
                label="pos",
                score=0.5,
                confidence=0.9,
                scored_at=NOW,
            )
        )
    subs = {}
    # Channel 12 was subscribed just now: its first run is still ahead, so it is not due.
    for gid, channel, since in ((SHARD0, 10, 1), (SHARD1, 11, 1), (SHARD1, 12, 0)):
        subs[channel] = await store.subscribe(
            db,
            guild_id=gid,
            channel_id=channel,
            local_time="08:00",
            timezone="Europe/Amsterdam",
            created_by=None,
            now=NOW - timedelta(days=since),
        )
    async with db.begin() as conn:
        for channel, state in ((10, "sending"), (11, "pending")):
            await conn.execute(
                sa.insert(digest_deliveries).values(
                    subscription_id=subs[channel].id,
                    channel_id=channel,
                    local_date=date(2026, 11, 24),
                    run_at=NOW,
                    idempotency_key=f"k{channel}",
                    nonce=f"n{channel}",
                    state=state,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )


async def test_status_reports_feeds_backlog_and_deliveries_per_shard(db: Database) -> None:
    await seed(db)
    run = PipelineRun(
        NOW - timedelta(seconds=12),
        NOW,
        ok=True,
        new_articles=3,
        feeds=2,
        scored=1,
        backend="lexicon",
        model="v1",
    )
    await record_pipeline_run(db, run)
    assert await last_pipeline_run(db) == run

    status = await gather_status(db, shard_count=2, now=NOW)
    assert [(f.name, f.status, f.failures, f.last_error) for f in status.feeds] == [
        ("Broken Feed", "failing", 3, "HTTP 503"),
        ("Good Feed", "ok", 0, None),
    ]
    assert status.unscored == 2
    zero, one = status.shards
    assert (zero.digest_subscriptions, zero.digests_due, zero.sending, zero.pending) == (1, 1, 1, 0)
    assert (one.digest_subscriptions, one.digests_due, one.sending, one.pending) == (2, 1, 0, 1)
    # Another model's scores do not count for this one.
    await record_pipeline_run(db, PipelineRun(NOW, NOW, ok=True, backend="transformers", model="x"))
    assert (await gather_status(db, shard_count=1, now=NOW)).unscored == 3


def test_status_command_prints_each_part(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    async def prepare() -> None:
        db = Database.connect(settings.resolved_database_url)
        await db.migrate()
        await seed(db)
        await record_pipeline_run(db, PipelineRun(NOW, NOW, ok=False, error="OSError: disk full"))
        await db.close()

    asyncio.run(prepare())
    assert main(["status", "--shards", "2"]) == 1  # the last pass failed
    out = capsys.readouterr().out
    assert "Broken Feed" in out and "HTTP 503" in out
    assert "FAILED: OSError: disk full" in out
    assert "2 articles not scored yet" in out  # no backend recorded: scored by any
    assert "0/2" in out and "1/2" in out


def test_shard_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert process_shards(load_settings()) is None
    assert client_options(load_settings()) == {}
    assert delivery_scope(load_settings()) is None

    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", "3, 1")
    settings = load_settings()
    shards = process_shards(settings)
    assert shards is not None and shards.ids == (1, 3) and shards.count == 4
    assert client_options(settings) == {"shard_count": 4, "shard_ids": [1, 3]}
    assert shards.owns((5 << 22) | 9) and not shards.owns((6 << 22) | 9)
    assert delivery_scope(settings) is not None

    monkeypatch.delenv("SHARD_IDS")  # every shard in this process: nothing to scope
    assert client_options(load_settings())["shard_ids"] == [0, 1, 2, 3]
    assert delivery_scope(load_settings()) is None


@pytest.mark.parametrize(
    ("count", "ids", "named"),
    [
        ("2", "2", "SHARD_IDS must lie in 0..1"),
        (None, "0", "SHARD_IDS needs SHARD_COUNT"),
        ("0", None, "SHARD_COUNT"),
    ],
)
def test_bad_shard_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, count: str | None, ids: str | None, named: str
) -> None:
    for name, value in (("SHARD_COUNT", count), ("SHARD_IDS", ids)):
        if value is not None:
            monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()
