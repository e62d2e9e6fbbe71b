"""Fixtures for the digest tests: a settable clock, an in-memory Discord, engine factories."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.config import Settings
from bot.delivery.engine import DeliveryEngine, DeliveryPolicy, FeedSet
from bot.delivery.memory import MemorySender
from bot.digest.model import Digest, Mood
from bot.i18n import Language
from bot.shards import Scope
from bot.storage import Database


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


class Composer:
    """Stands in for compose.py: counts calls per language and per (feed set, language)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.keys: Counter[tuple[FeedSet, str]] = Counter()
        self.switches: Counter[tuple[FeedSet, str, bool]] = Counter()  # with the translate flag

    async def __call__(
        self, feeds: FeedSet, language: Language, now: datetime, translate: bool = True
    ) -> Digest:
        self.calls[language] += 1
        self.keys[(feeds, language)] += 1
        self.switches[(feeds, language, translate)] += 1
        mood = Mood(score=None, previous=None, articles=0, label=None)
        return Digest(language, now.date(), now, mood, (), (), None)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 24, 6, 0, tzinfo=UTC))  # 07:00 in Amsterdam


@pytest.fixture
def discord(clock: Clock) -> MemorySender:
    # No nonce dedupe: exactly-once must hold through find_sent alone.
    return MemorySender(clock=clock, nonce_window=None)


EngineFactory = Callable[..., DeliveryEngine]
DEFAULT_FEEDS: FeedSet = (1, 2)  # every server's feed set unless a test gives it another


@pytest.fixture
async def fresh_db(settings: Settings) -> AsyncIterator[Callable[[], Database]]:
    """Open more connections to the test database file, as a restarted process would."""
    opened: list[Database] = []

    def open_db() -> Database:
        database = Database.connect(settings.resolved_database_url)
        opened.append(database)
        return database

    yield open_db
    for database in opened:
        await database.close()


@pytest.fixture
def make_engine(db: Database, clock: Clock, discord: MemorySender) -> EngineFactory:
    languages: dict[int, Language] = {}
    feed_sets: dict[int, FeedSet] = {}
    lookups: list[set[int]] = []  # the guild ids of each feeds_of call
    translate_off: set[int] = set()  # servers that switched translation off

    async def translate_of(guild_id: int) -> bool:
        return guild_id not in translate_off

    async def language_of(guild_id: int) -> Language:
        return languages.get(guild_id, "en")

    async def feeds_of(guild_ids: Collection[int]) -> dict[int, FeedSet]:
        lookups.append(set(guild_ids))
        return {g: feed_sets.get(g, DEFAULT_FEEDS) for g in guild_ids}

    def factory(
        *,
        database: Database | None = None,
        sender: object | None = None,
        composer: Composer | None = None,
        sleep: Sleeps | None = None,
        scope: Scope | None = None,
        **policy: object,
    ) -> DeliveryEngine:
        return DeliveryEngine(
            database or db,
            sender or discord,  # type: ignore[arg-type]
            composer or Composer(),
            language_of=language_of,
            feeds_of=feeds_of,
            policy=DeliveryPolicy(**policy),  # type: ignore[arg-type]
            clock=clock,
            sleep=sleep or Sleeps(),
            scope=scope,
            translate_of=translate_of,
        )

    factory.translate_off = translate_off  # type: ignore[attr-defined]
    factory.languages = languages  # type: ignore[attr-defined]
    factory.feed_sets = feed_sets  # type: ignore[attr-defined]
    factory.feed_lookups = lookups  # type: ignore[attr-defined]
    return factory


TODAY = date(2026, 11, 24)
