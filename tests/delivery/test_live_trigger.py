"""Live rounds look again when the pipeline publishes a pass (scored and translated), not
when its first rows land; without a publishing pipeline, the store's own fingerprint counts."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.live.trigger import data_version
from bot.storage import Database
from bot.storage.dataversion import bump_data_version
from tests.compose.seed import seed_tenants

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


async def test_without_a_publishing_pipeline_the_fingerprint_counts(db: Database) -> None:
    empty = await data_version(db)
    await seed_tenants(db, NOW)  # stored and scored by a tool, nothing published
    assert (await data_version(db)).data != empty.data


async def test_the_published_version_decides_once_a_pipeline_publishes(db: Database) -> None:
    await bump_data_version(db)
    published = await data_version(db)
    assert published.data == (1,)
    await seed_tenants(db, NOW)  # rows land mid-pass (articles, scores): not yet
    assert (await data_version(db)).data == published.data
    await bump_data_version(db)  # the pass is published: now
    assert (await data_version(db)).data == (2,)
