"""Benchmark one ingest pass: 50 feeds x 50 entries served by local HTTP servers.

Items are real: taken from the bundled sample feeds (English and Dutch) and re-published
under per-feed links, so parsing, cleaning, coin tagging, language detection, storage and
story clustering all do their real work. The feeds are spread over 10 loopback addresses
(127.0.0.1-10), so the per-host limit (HTTP_PER_HOST) applies as it would across sites.

    .venv/bin/python -m bench.ingest [--feeds 50] [--entries 50] [--tracemalloc]
                                     [--guilds 10 --own-feeds 10]

Prints wall time, entries/s and peak memory; a second pass shows the all-304 case.

With `--guilds G --own-feeds K`, G servers each add K feeds of their own (stored through
bot.guilds.feeds.add_guild_feed, served by the same local servers under their own URLs), and
the pass takes its feeds as the bot does: the configured list (here a FEEDS_FILE of the
bench feeds) plus every enabled feed a server added.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from bench import feedserver
from bench._stats import peak_rss_mb
from bot.config import load_settings
from bot.guilds.feeds import add_guild_feed
from bot.news.feeds import FeedSpec
from bot.news.parse import RawEntry
from bot.news.pipeline import ingest
from bot.runtime.services import open_services


def item_pool() -> list[RawEntry]:
    """Every entry of every bundled sample feed (all dated)."""
    return [entry for _language, entry in feedserver.sample_entries()]


def make_feed(n: int, entries: int, pool: list[RawEntry]) -> bytes:
    items = []
    for i in range(entries):
        entry = pool[(n * 7 + i) % len(pool)]
        title, link, summary, published = entry.title, entry.link, entry.summary, entry.published
        assert published is not None
        link = feedserver.bare_link(link) + f"-f{n}"
        items.append(
            "<item>"
            f"<title>{escape(title)}</title>"
            f"<link>{escape(link)}?utm_source=rss</link>"
            f'<guid isPermaLink="false">bench-{n}-{i}</guid>'
            f"<pubDate>{format_datetime(published)}</pubDate>"
            f"<description><![CDATA[{summary}]]></description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {n}</title><link>https://bench{n}.example</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def feeds_toml(specs: list[FeedSpec]) -> str:
    """A FEEDS_FILE listing `specs` (the configured feeds of a pass that reads the config)."""
    return "".join(
        f'[[feeds]]\nname = "{s.name}"\nurl = "{s.url}"\nlanguage = "{s.language}"\n\n'
        for s in specs
    )


async def run(n_feeds: int, n_entries: int, guilds: int = 0, own_feeds: int = 0) -> None:
    pool = item_pool()
    n_own = guilds * own_feeds  # feed numbers n_feeds.. are the servers' own feeds
    documents = {
        feedserver.feed_path(n): make_feed(n, n_entries, pool) for n in range(n_feeds + n_own)
    }
    servers = feedserver.serve_hosts(documents.get)
    ports = feedserver.ports_of(servers)
    specs = [
        FeedSpec(f"Bench {n}", feedserver.feed_url(n, ports), feedserver.feed_language(n))
        for n in range(n_feeds)
    ]
    size = sum(len(d) for d in documents.values())
    with tempfile.TemporaryDirectory() as tmp:
        # The bench feeds are served on 127.0.0.x: the SSRF guard must let loopback through.
        feeds_file = Path(tmp) / "feeds.toml"
        feeds_file.write_text(feeds_toml(specs))
        settings = load_settings(
            data_dir=Path(tmp), feeds_allow_private=True, feeds_file=feeds_file
        )
        async with open_services(settings) as services:
            for n in range(n_feeds, n_feeds + n_own):
                await add_guild_feed(
                    services.db,
                    1000 + (n - n_feeds) // own_feeds,
                    url=feedserver.feed_url(n, ports),
                    name=f"Own {n}",
                    language=feedserver.feed_language(n),
                    added_by=None,
                    limit=own_feeds,
                    now=datetime.now(UTC),
                )
            chosen = None if n_own else specs  # None: the configured feeds + servers' own
            start = time.perf_counter()
            report = await ingest(services, feeds=chosen)
            wall = time.perf_counter() - start
            start = time.perf_counter()
            again = await ingest(services, feeds=chosen)
            wall_304 = time.perf_counter() - start
    for s in servers:
        s.shutdown()
    statuses = {r.status for r in report.feeds}
    print(
        f"feeds: {len(report.feeds)} x {n_entries} entries ({size / 1e6:.1f} MB of XML)"
        f"{f', {n_own} of them added by {guilds} servers' if n_own else ''}, statuses {statuses}"
    )
    print(
        f"first pass:  {wall:.2f} s wall, {report.new_articles} new articles, "
        f"{report.new_articles / wall:.0f} entries/s"
    )
    print(f"second pass (all 304): {wall_304:.2f} s, {again.new_articles} new")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--guilds", type=int, default=0, help="servers with feeds of their own")
    parser.add_argument("--own-feeds", type=int, default=0, help="feeds each of those servers adds")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also report the Python heap peak (slower)"
    )
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start()
    if (args.guilds > 0) != (args.own_feeds > 0):
        parser.error("--guilds and --own-feeds go together")
    asyncio.run(run(args.feeds, args.entries, args.guilds, args.own_feeds))
    if args.tracemalloc:
        _, peak = tracemalloc.get_traced_memory()
        print(f"python heap peak (tracemalloc): {peak / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
