"""The configured feed list: built-in defaults or a FEEDS_FILE, synced into the feeds table."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from bot.config import ConfigError, Settings, check_user_agent
from bot.news.tables import feed_state, feeds
from bot.storage import Database
from bot.text_limits import feed_name

FEED_LANGUAGES = ("en", "nl")


@dataclass(frozen=True)
class FeedSpec:
    name: str
    url: str
    language: str
    # Sent instead of HTTP_USER_AGENT, for a site that refuses the bot's (FEEDS_FILE only: the
    # operator's choice, never a server admin's; docs/news.md "Sources").
    user_agent: str | None = None
    # Keep only entries about crypto (bot/news/relevance.py): a general outlet as a source.
    crypto_only: bool = False


@dataclass(frozen=True)
class Feed:
    """A stored feed row (what the fetcher and the pipeline work on)."""

    id: int
    name: str
    url: str
    language: str


# The main English and Dutch crypto outlets, plus two Dutch general economy feeds that keep
# only their crypto entries. docs/news.md ("Sources") gives each URL's evidence: where it was
# seen, whether it was seen answering, and what is unverified.
DEFAULT_FEEDS: tuple[FeedSpec, ...] = (
    FeedSpec("CoinDesk", "https://www.coindesk.com/arc/outboundfeeds/rss/", "en"),
    FeedSpec("Cointelegraph", "https://cointelegraph.com/rss", "en"),
    FeedSpec("Decrypt", "https://decrypt.co/feed", "en"),
    FeedSpec("The Block", "https://www.theblock.co/rss.xml", "en"),
    FeedSpec("CryptoSlate", "https://cryptoslate.com/feed/", "en"),
    FeedSpec("NewsBTC", "https://www.newsbtc.com/feed/", "en"),
    FeedSpec("Bitcoinist", "https://bitcoinist.com/feed/", "en"),
    FeedSpec("Crypto Insiders", "https://www.crypto-insiders.nl/feed/", "nl"),
    FeedSpec("Bitcoin Magazine NL", "https://bitcoinmagazine.nl/feed/", "nl"),
    FeedSpec("Newsbit", "https://newsbit.nl/feed/", "nl"),
    FeedSpec("BeInCrypto NL", "https://nl.beincrypto.com/feed/", "nl"),
    FeedSpec("Cryptonews NL", "https://cryptonews.com/nl/feed/", "nl"),
    FeedSpec("CoinJournal NL", "https://coinjournal.net/nl/feed/", "nl"),
    FeedSpec("NOS Economie", "https://feeds.nos.nl/nosnieuwseconomie", "nl", crypto_only=True),
    FeedSpec("NU.nl Economie", "https://www.nu.nl/rss/Economie", "nl", crypto_only=True),
)


FEED_KEYS = frozenset({"name", "url", "language", "user_agent", "crypto_only"})


def _options(entry: dict[str, object], number: int) -> tuple[str | None, bool]:
    """The optional keys: `user_agent` (one line of printable ASCII) and `crypto_only`."""
    agent = entry.get("user_agent")
    if agent is not None:
        if not isinstance(agent, str):
            raise ValueError(f"feed #{number} user_agent must be a string")
        try:
            check_user_agent(agent)
        except ValueError as exc:
            raise ValueError(f"feed #{number} {exc}") from None
    crypto_only = entry.get("crypto_only", False)
    if not isinstance(crypto_only, bool):
        raise ValueError(f"feed #{number} crypto_only must be true or false")
    return agent, crypto_only


def parse_feeds_toml(text: str, extra_keys: frozenset[str] = frozenset()) -> list[FeedSpec]:
    """`[[feeds]]` tables with name, url, language and optionally user_agent and crypto_only
    (plus `extra_keys`, which the caller reads itself); raises ValueError describing the
    problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML ({exc})") from None
    entries = data.get("feeds")
    if not isinstance(entries, list) or not entries:
        raise ValueError("expected at least one [[feeds]] table")
    specs: list[FeedSpec] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ValueError(f"feed #{number} is not a table")
        unknown = sorted(set(entry) - FEED_KEYS - extra_keys)
        if unknown:  # a misspelt option (crypto-only) would otherwise be silently ignored
            raise ValueError(
                f"feed #{number} has unknown key {', '.join(unknown)}"
                f" (known: {', '.join(sorted(FEED_KEYS))})"
            )
        missing = [k for k in ("name", "url", "language") if not isinstance(entry.get(k), str)]
        if missing:
            raise ValueError(f"feed #{number} lacks {', '.join(missing)}")
        url = entry["url"].strip()
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"feed #{number} url must start with http:// or https://")
        language = entry["language"].strip().lower()
        if language not in FEED_LANGUAGES:
            raise ValueError(f"feed #{number} language must be one of {', '.join(FEED_LANGUAGES)}")
        if url in seen:
            raise ValueError(f"feed #{number} repeats url {url}")
        seen.add(url)
        agent, crypto_only = _options(entry, number)
        specs.append(FeedSpec(entry["name"].strip(), url, language, agent, crypto_only))
    return specs


def load_feeds(settings: Settings) -> list[FeedSpec]:
    """FEEDS_FILE replaces the defaults when set; a bad file is a ConfigError naming it."""
    path: Path | None = settings.feeds_file
    if path is None:
        return list(DEFAULT_FEEDS)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"FEEDS_FILE {path}: cannot read ({exc})") from None
    try:
        return parse_feeds_toml(text)
    except ValueError as exc:
        raise ConfigError(f"FEEDS_FILE {path}: {exc}") from None


async def sync_feeds(db: Database, specs: Sequence[FeedSpec], *, now: datetime) -> list[Feed]:
    """Make the configured list the enabled `is_default` feeds; return them in list order.

    Names are stored as bot.text_limits.feed_name makes them (one line, FEED_NAME_CHARS).

    Configured feeds dropped from the list are disabled, not deleted, so their articles stay.
    Feeds added by users (is_default false) are left alone.
    """
    urls = [s.url for s in specs]
    async with db.begin() as conn:
        for spec in specs:
            name = feed_name(spec.name)
            await conn.execute(
                db.insert_ignore(feeds, "url").values(
                    url=spec.url,
                    name=name,
                    language=spec.language,
                    is_default=True,
                    enabled=True,
                    created_at=now,
                )
            )
            await conn.execute(
                feeds.update()
                .where(feeds.c.url == spec.url)
                .values(name=name, language=spec.language, is_default=True, enabled=True)
            )
        stale = feeds.update().where(feeds.c.is_default.is_(True)).values(enabled=False)
        if urls:
            stale = stale.where(feeds.c.url.not_in(urls))
        await conn.execute(stale)
        rows = (
            await conn.execute(
                sa.select(feeds.c.id, feeds.c.name, feeds.c.url, feeds.c.language).where(
                    feeds.c.url.in_(urls)
                )
            )
        ).all()
        for row in rows:
            await conn.execute(db.insert_ignore(feed_state, "feed_id").values(feed_id=row.id))
    by_url = {row.url: Feed(row.id, row.name, row.url, row.language) for row in rows}
    return [by_url[u] for u in urls]


# Two tables of bot/guilds (which imports this package, so not the other way round): only the
# columns `enabled_feeds` reads.
_guild_feeds = sa.table("guild_feeds", sa.column("guild_id"), sa.column("feed_id"))
_guild_removals = sa.table("guild_removals", sa.column("guild_id"))


def _still_read() -> sa.ColumnElement[bool]:
    """False for a server's own feed when every server that added it removed the bot (their
    data waits out the retention period, bot/guilds/membership.py): nobody reads it now."""
    owners = sa.select(_guild_feeds.c.feed_id).where(_guild_feeds.c.feed_id == feeds.c.id)
    present = owners.where(_guild_feeds.c.guild_id.not_in(sa.select(_guild_removals.c.guild_id)))
    return sa.or_(feeds.c.is_default.is_(True), ~owners.exists(), present.exists())


async def enabled_feeds(db: Database) -> list[Feed]:
    """Every feed to fetch: the configured ones and those servers added (/feeds add), except
    feeds only servers that removed the bot added."""
    query = (
        sa.select(feeds.c.id, feeds.c.name, feeds.c.url, feeds.c.language)
        .where(feeds.c.enabled.is_(True), _still_read())
        .order_by(feeds.c.id)
    )
    async with db.begin() as conn:
        rows = (await conn.execute(query)).all()
        for row in rows:  # feeds added elsewhere may lack a state row yet
            await conn.execute(db.insert_ignore(feed_state, "feed_id").values(feed_id=row.id))
    return [Feed(r.id, r.name, r.url, r.language) for r in rows]
