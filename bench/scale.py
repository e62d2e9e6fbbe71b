"""Scale-out benchmark: 10,000 digest subscriptions due at once, two shard processes.

    .ci/with-postgres sh -c '.venv/bin/python bench/scale.py --database-url "$TEST_DATABASE_URL"'
    .venv/bin/python bench/scale.py --database-url sqlite:////tmp/scale.db   # for comparison

A fresh database gets the bundled sample feeds (ingested offline, lexicon scores), the bundled
market history and --subs subscriptions, one per guild, spread over --shards by Discord's
rule. Then one child process per shard (as bot processes would be) builds its DeliveryEngine,
scoped with shard_scope to its shard's guilds, and on a common start signal delivers what is
due. Sends go to an in-process Discord (bot.delivery.memory) with --latency-ms per post; every
subscription must end up with exactly one 'sent' delivery and one post.

Prints deliveries/s (from the start signal until both processes are done) and, per delivery:
the time the engine spent waiting on the database (between SQLAlchemy's before/after cursor
events, so it includes the driver and event-loop scheduling), PostgreSQL's own execution time
(pg_stat_database.active_time), and the statements issued. Medians of --runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bot.compose.digest import DigestComposer
from bot.config import load_settings
from bot.delivery.engine import DeliveryEngine, DeliveryPolicy
from bot.delivery.memory import MemorySender
from bot.digest.schedule import next_run
from bot.digest.tables import digest_deliveries, digest_subscriptions
from bot.guilds.feeds import feed_sets
from bot.i18n import Language
from bot.news.pipeline import ingest
from bot.news.query import latest_article_time
from bot.news.samples import sample_feeds
from bot.runtime.services import open_services
from bot.sentiment.lexicon import LexiconBackend
from bot.sentiment.store import score_pending
from bot.shards import shard_scope
from bot.storage import Database

ZONE = "Europe/Amsterdam"


@dataclass
class DbClock:
    """Wall time inside statements on one engine (cursor execute events)."""

    seconds: float = 0.0
    statements: int = 0

    def attach(self, db: Database) -> None:
        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def before(
            conn: Any, cursor: Any, stmt: str, params: Any, context: Any, many: bool
        ) -> None:
            conn.info.setdefault("bench_started", []).append(time.perf_counter())

        @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
        def after(conn: Any, cursor: Any, stmt: str, params: Any, context: Any, many: bool) -> None:
            self.seconds += time.perf_counter() - conn.info["bench_started"].pop()
            self.statements += 1


async def fresh_database(url: str) -> tuple[str, Any]:
    """A new database on the server (PostgreSQL) or a file (SQLite); returns url and cleanup."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url, None
    name = f"cryptobot_bench_{os.getpid()}"
    admin = Database.connect(url)
    async with admin.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    async def drop() -> None:
        async with admin.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.close()

    return parsed.set(database=name).render_as_string(hide_password=False), drop


async def one_run(
    url: str, subs: int, shards: int, latency: float, concurrency: int
) -> tuple[float, float, float | None, float, int]:
    db_url, drop = await fresh_database(url)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            settings = load_settings(
                data_dir=Path(tmp), database_url=db_url, sentiment_backend="lexicon"
            )
            due = await prepare(settings, subs)
            env = {**os.environ, "DATABASE_URL": db_url, "DATA_DIR": tmp}
            workers = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    __file__,
                    "--worker",
                    str(shard),
                    "--shards",
                    str(shards),
                    "--due",
                    due.isoformat(),
                    "--latency-ms",
                    str(latency * 1000),
                    "--concurrency",
                    str(concurrency),
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    env=env,
                )
                for shard in range(shards)
            ]
            for child in workers:  # each is set up (engine, warm composer) and waits
                assert child.stdout is not None
                assert (await child.stdout.readline()).strip() == b"ready"
            server_before = await server_active_ms(db_url)
            started = time.perf_counter()
            outputs = await asyncio.gather(*(w.communicate(b"go\n") for w in workers))
            elapsed = time.perf_counter() - started
            results = [json.loads(out.decode().strip().splitlines()[-1]) for out, _err in outputs]
            server_after = await server_active_ms(db_url)
            sent = sum(r["sent"] for r in results)
            assert sent == subs, results
            await check_exactly_once(settings, subs)
            db_seconds = sum(r["db_seconds"] for r in results)
            statements = sum(r["statements"] for r in results)
            server_per = (
                (server_after - server_before) / 1000 / sent
                if server_after is not None and server_before is not None
                else None
            )
            return elapsed, db_seconds / sent, server_per, statements / sent, sent
    finally:
        if drop is not None:
            await drop()


async def server_active_ms(url: str) -> float | None:
    """PostgreSQL's own count of time spent executing statements in this database."""
    if make_url(url).get_backend_name() != "postgresql":
        return None
    await asyncio.sleep(1.2)  # backends report their statistics at most once a second
    database = Database.connect(url)
    query = "SELECT active_time FROM pg_stat_database WHERE datname = current_database()"
    try:
        async with database.connection() as conn:
            value = await conn.scalar(sa.text(query))
    finally:
        await database.close()
    return float(value or 0.0)


async def check_exactly_once(settings: Any, subs: int) -> None:
    async with open_services(settings) as services, services.db.connection() as conn:
        states = Counter((await conn.execute(sa.select(digest_deliveries.c.state))).scalars())
    assert states == Counter({"sent": subs}), states


async def prepare(settings: Any, subs: int) -> datetime:
    """News, scores and `subs` subscriptions all due at the same minute; returns that time."""
    async with open_services(settings) as services:
        db = services.db
        specs, fetcher = sample_feeds()
        await ingest(services, feeds=specs, fetcher=fetcher)
        await score_pending(db, LexiconBackend())
        newest = await latest_article_time(db)
        assert newest is not None
        due = next_run(clock_time(8, 0), ZoneInfo(ZONE), newest)
        # One channel per guild; guild n sits on shard n % shards (Discord: id >> 22).
        rows = [
            {
                "guild_id": (n << 22) | 1,
                "channel_id": 1_000_000 + n,
                "local_time": "08:00",
                "timezone": ZONE,
                "created_by": None,
                "created_at": newest,
                "enabled": True,
                "next_run_at": due,
            }
            for n in range(subs)
        ]
        async with db.begin() as conn:
            for start in range(0, subs, 2_000):
                await conn.execute(sa.insert(digest_subscriptions), rows[start : start + 2_000])
    return due


async def worker(shard: int, shards: int, due: datetime, latency: float, concurrency: int) -> None:
    """One shard process: builds its engine, says `ready`, delivers on `go`, prints JSON."""
    settings = load_settings(sentiment_backend="lexicon")
    database = Database.connect(settings.resolved_database_url)
    sender = MemorySender(nonce_window=None, latency=latency)

    async def language_of(guild_id: int) -> Language:
        return "nl" if (guild_id >> 22) % 4 < 2 else "en"

    composer = DigestComposer(database, settings)
    await composer.signal_report(due)  # the market history load is a one-off; warm it
    engine = DeliveryEngine(
        database,
        sender,
        composer,
        language_of=language_of,
        feeds_of=partial(feed_sets, database),  # each server's feed set, as the bot does
        policy=DeliveryPolicy(concurrency=concurrency, grace=timedelta(hours=6)),
        scope=shard_scope([shard], shards),
    )
    clock = DbClock()
    clock.attach(database)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    report = await engine.run_due(due + timedelta(seconds=5))
    await database.close()
    posts = sender.all_posts()
    assert len({p.channel_id for p in posts}) == len(posts) == report.sent, report
    result = {"sent": report.sent, "db_seconds": clock.seconds, "statements": clock.statements}
    print(json.dumps(result), flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL"),
        help="PostgreSQL (a fresh database is made on it) or SQLite URL "
        "(default: TEST_DATABASE_URL, else DATABASE_URL)",
    )
    parser.add_argument("--subs", type=int, default=10_000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8, help="sends in flight per shard")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # a child's shard
    parser.add_argument("--due", type=datetime.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        await worker(args.worker, args.shards, args.due, args.latency_ms / 1000, args.concurrency)
        return
    if not args.database_url:
        parser.error("give --database-url (or run under .ci/with-postgres)")
    backend = make_url(args.database_url).get_backend_name()
    results = []
    for n in range(args.runs):
        elapsed, db_per, server_per, statements_per, sent = await one_run(
            args.database_url, args.subs, args.shards, args.latency_ms / 1000, args.concurrency
        )
        results.append((elapsed, db_per, server_per, statements_per))
        print(
            f"run {n + 1}: {sent} digests in {elapsed:.2f} s ({sent / elapsed:.0f}/s); "
            f"per delivery {db_per * 1000:.2f} ms waiting on the database"
            + (f", {server_per * 1000:.2f} ms executing on the server" if server_per else "")
            + f", {statements_per:.2f} statements"
        )
    elapsed = statistics.median(r[0] for r in results)
    db_per = statistics.median(r[1] for r in results)
    servers = [r[2] for r in results if r[2] is not None]
    statements_per = statistics.median(r[3] for r in results)
    print(
        f"median of {args.runs}: {args.subs} subscriptions on {backend}, {args.shards} shard "
        f"processes, concurrency {args.concurrency} each, {args.latency_ms:g} ms per post: "
        f"{args.subs / elapsed:.0f} deliveries/s; per delivery {db_per * 1000:.2f} ms waiting "
        "on the database"
        + (f", {statistics.median(servers) * 1000:.2f} ms server time" if servers else "")
        + f", {statements_per:.2f} statements"
    )


if __name__ == "__main__":
    asyncio.run(main())
