"""What the processes sharing one database are doing: `python -m bot status` reads it here.

The pipeline records each pass in `app_state` (the pipeline may run in its own process, so
the record lives in the database, not in memory). Everything else is read from the tables
the pipeline and the delivery engine keep anyway: feed state, unscored articles, due and
open deliveries grouped by Discord shard.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.delivery.ledger import FAILED, PENDING, SENDING
from bot.digest.tables import (
    alert_deliveries,
    alert_subscriptions,
    digest_deliveries,
    digest_subscriptions,
)
from bot.news.tables import articles, feed_state, feeds
from bot.runtime.supervisor import ChildState, child_state
from bot.sentiment.tables import article_sentiment
from bot.shards import shard_column
from bot.storage import Database, kv
from bot.translate.state import TranslationState, translation_state

PIPELINE_RUN_KEY = "pipeline:last_run"


@dataclass(frozen=True)
class PipelineRun:
    started_at: datetime
    finished_at: datetime
    ok: bool
    new_articles: int = 0
    feeds: int = 0
    scored: int = 0
    translated: int = 0  # stories translated (status ok) this pass; bot/translate/state.py
    backend: str | None = None  # the sentiment backend and model that scored this pass
    model: str | None = None
    error: str | None = None


async def record_pipeline_run(db: Database, run: PipelineRun) -> None:
    values = asdict(run)
    for key in ("started_at", "finished_at"):
        values[key] = values[key].isoformat()
    await kv.set_value(db, PIPELINE_RUN_KEY, json.dumps(values))


async def last_pipeline_run(db: Database) -> PipelineRun | None:
    raw = await kv.get_value(db, PIPELINE_RUN_KEY)
    if raw is None:
        return None
    values = json.loads(raw)
    for key in ("started_at", "finished_at"):
        values[key] = datetime.fromisoformat(values[key])
    return PipelineRun(**values)


@dataclass(frozen=True)
class FeedHealth:
    name: str
    language: str
    status: str
    failures: int
    last_ok_at: datetime | None
    next_fetch_at: datetime | None
    last_error: str | None


@dataclass
class ShardLoad:
    shard: int
    digest_subscriptions: int = 0
    digests_due: int = 0  # enabled subscriptions whose next run has come, not yet claimed
    sending: int = 0  # claimed, not yet recorded (a live lease or a crash to take over)
    pending: int = 0  # waiting for a retry
    failed_today: int = 0  # gave up in the last 24 hours
    alert_subscriptions: int = 0


@dataclass(frozen=True)
class Status:
    feeds: list[FeedHealth]
    last_run: PipelineRun | None
    unscored: int
    shards: list[ShardLoad]
    child: ChildState | None = None  # the pipeline as `run`'s child process, when it runs so
    translation: TranslationState | None = None  # None: no pass has run the step yet


async def feed_health(db: Database) -> list[FeedHealth]:
    query = (
        sa.select(
            feeds.c.name,
            feeds.c.language,
            feed_state.c.status,
            feed_state.c.failures,
            feed_state.c.last_ok_at,
            feed_state.c.next_fetch_at,
            feed_state.c.last_error,
        )
        .select_from(feeds.outerjoin(feed_state, feed_state.c.feed_id == feeds.c.id))
        .where(feeds.c.enabled.is_(True))
        .order_by(feeds.c.name)
    )
    async with db.connection() as conn:
        rows = (await conn.execute(query)).all()
    return [
        FeedHealth(
            r.name,
            r.language,
            r.status or "new",
            r.failures or 0,
            r.last_ok_at,
            r.next_fetch_at,
            r.last_error,
        )
        for r in rows
    ]


async def unscored_articles(db: Database, run: PipelineRun | None) -> int:
    """Articles the pipeline's sentiment backend has not scored yet (any, before a first run)."""
    scored = sa.select(article_sentiment.c.article_id).where(
        article_sentiment.c.article_id == articles.c.id
    )
    if run is not None and run.backend is not None:
        scored = scored.where(
            article_sentiment.c.backend == run.backend, article_sentiment.c.model == run.model
        )
    query = sa.select(sa.func.count()).select_from(articles).where(~scored.exists())
    async with db.connection() as conn:
        return int(await conn.scalar(query) or 0)


async def shard_loads(db: Database, shard_count: int, now: datetime) -> list[ShardLoad]:
    """Subscriptions and deliveries per shard, from one GROUP BY per question."""
    loads = {n: ShardLoad(n) for n in range(shard_count)}
    ds, dd = digest_subscriptions, digest_deliveries
    d_shard = shard_column(ds, shard_count).label("shard")
    a_shard = shard_column(alert_subscriptions, shard_count).label("shard")

    def per_shard(shard: sa.ColumnElement[int], source: sa.FromClause, *where: object) -> sa.Select:
        return (
            sa.select(shard, sa.func.count()).select_from(source).where(*where).group_by(shard)  # type: ignore[arg-type]
        )

    joined = dd.join(ds, ds.c.id == dd.c.subscription_id)
    a_joined = alert_deliveries.join(
        alert_subscriptions, alert_subscriptions.c.id == alert_deliveries.c.subscription_id
    )
    questions: dict[str, list[sa.Select]] = {
        "digest_subscriptions": [per_shard(d_shard, ds, ds.c.enabled.is_(True))],
        "digests_due": [per_shard(d_shard, ds, ds.c.enabled.is_(True), ds.c.next_run_at <= now)],
        "alert_subscriptions": [
            per_shard(a_shard, alert_subscriptions, alert_subscriptions.c.enabled.is_(True))
        ],
    }
    for field_name, state in (("sending", SENDING), ("pending", PENDING)):
        questions[field_name] = [
            per_shard(d_shard, joined, dd.c.state == state),
            per_shard(a_shard, a_joined, alert_deliveries.c.state == state),
        ]
    day_ago = now - timedelta(days=1)
    questions["failed_today"] = [
        per_shard(d_shard, joined, dd.c.state == FAILED, dd.c.updated_at >= day_ago),
        per_shard(
            a_shard,
            a_joined,
            alert_deliveries.c.state == FAILED,
            alert_deliveries.c.updated_at >= day_ago,
        ),
    ]
    async with db.connection() as conn:
        for field_name, queries in questions.items():
            for query in queries:
                for shard, count in (await conn.execute(query)).all():
                    load = loads[int(shard)]
                    setattr(load, field_name, getattr(load, field_name) + int(count))
    return [loads[n] for n in range(shard_count)]


async def gather_status(db: Database, *, shard_count: int, now: datetime) -> Status:
    run = await last_pipeline_run(db)
    return Status(
        feeds=await feed_health(db),
        last_run=run,
        unscored=await unscored_articles(db, run),
        shards=await shard_loads(db, shard_count, now),
        child=await child_state(db),
        translation=await translation_state(db),
    )
