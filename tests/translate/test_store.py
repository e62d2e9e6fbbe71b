from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.news.tables import articles
from bot.storage import Database
from bot.translate.store import Translation, pending, save_translations, translations_for
from tests.compose.seed import seed_tenants

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


async def _ids(db: Database) -> dict[str, int]:
    async with db.connection() as conn:
        rows = await conn.execute(sa.select(articles.c.id, articles.c.title, articles.c.language))
        return {f"{r.language}:{r.title}": r.id for r in rows}


async def test_pending_is_other_language_newest_first_and_per_model(db: Database) -> None:
    await seed_tenants(db, NOW)
    todo = await pending(db, target_lang="nl", model="m1", limit=50)
    assert todo and all(p.source_lang == "en" for p in todo)
    assert "Bitcoin stijgt naar recordhoogte" not in {p.title for p in todo}
    # newest first: the hostile articles (0.5 h old) lead, then the 1 h and 2 h ones.
    assert todo[-1].title == "Ethereum upgrade delayed by a week"
    first = todo[0]
    done = Translation(first.article_id, "nl", "en", "m1", "Titel", "Samenvatting", "ok")
    await save_translations(db, [done], now=NOW)
    assert first.article_id not in {
        p.article_id for p in await pending(db, target_lang="nl", model="m1", limit=50)
    }
    # another model translates it again
    assert first.article_id in {
        p.article_id for p in await pending(db, target_lang="nl", model="m2", limit=50)
    }
    assert len(await pending(db, target_lang="nl", model="m1", limit=2)) == 2


async def test_newest_row_wins_and_texts_are_bounded(db: Database) -> None:
    await seed_tenants(db, NOW)
    ids = await _ids(db)
    aid = ids["en:Ethereum upgrade delayed by a week"]
    old = Translation(aid, "nl", "en", "old", "Oud", "", "ok")
    new = Translation(aid, "nl", "en", "new", "x" * 5000, "y" * 5000, "fallback", "p" * 999)
    await save_translations(db, [old], now=NOW)
    await save_translations(db, [new], now=NOW + timedelta(minutes=1))
    # a second save of the same key keeps the first row (another process won the race)
    await save_translations(db, [Translation(aid, "nl", "en", "old", "Anders", "", "ok")], now=NOW)
    got = await translations_for(db, [aid, 999_999], "nl")
    assert set(got) == {aid}
    row = got[aid]
    assert row.model == "new" and row.status == "fallback"
    assert len(row.title) <= 300 and len(row.summary) <= 1000 and len(row.problems or "") <= 300
    assert await translations_for(db, [aid], "en") == {}
