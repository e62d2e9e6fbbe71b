"""/about: what the bot runs on and how fresh its data is (for the asking server's feeds)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from bot import __version__
from bot.market.store import latest_days
from bot.news.query import latest_article_time
from bot.news.tables import articles, feeds
from bot.storage import Database
from bot.translate.state import translation_state


@dataclass(frozen=True)
class TranslationStatus:
    """Whether the pipeline translates stories, and with which models (empty: it does not)."""

    models: tuple[str, ...] = ()

    @property
    def on(self) -> bool:
        return bool(self.models)

    @property
    def label(self) -> str:
        """The models as a reader can take them in: "Helsinki-NLP/opus-mt-en-nl,
        Helsinki-NLP/opus-mt-nl-en (CTranslate2 int8)" instead of the stored tags."""
        return "; ".join(
            f"{', '.join(ids)} ({engine})" if engine else ", ".join(ids)
            for engine, ids in _by_engine(self.models).items()
        )


# The tag bot.translate's engines append to a model id (ct2.py, marian.py): the engine, the
# precision and the beam count, so a change of any of them translates again.
_TAG = re.compile(r"@(?P<ct2>ct2-)?(?P<precision>int8|fp32)-b(?P<beams>\d+)$")


def _by_engine(models: tuple[str, ...]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for stored in models:
        tag = _TAG.search(stored)
        if tag is None:  # an older row or another engine: shown as stored
            grouped.setdefault("", []).append(stored)
            continue
        engine = "CTranslate2" if tag["ct2"] else "PyTorch"
        grouped.setdefault(f"{engine} {tag['precision']}", []).append(stored[: tag.start()])
    return grouped


@dataclass(frozen=True)
class AboutInfo:
    version: str
    feeds_by_language: dict[str, int]
    articles: int
    latest_article: datetime | None
    market_days: dict[str, date]
    translation: TranslationStatus = TranslationStatus()


async def translation_status(db: Database) -> TranslationStatus:
    """The directions the pipeline last found a model for (bot/translate/state.py, stored
    because the pipeline may run in another process); none means translation is off: no
    model could load, TRANSLATION_ENABLED is off, or no pass has run yet."""
    state = await translation_state(db)
    if state is None or not state.on:
        return TranslationStatus()
    return TranslationStatus(tuple(sorted(set(state.models.values()))))


async def about_info(db: Database, *, feed_ids: Collection[int]) -> AboutInfo:
    """Feeds, articles and the newest article of the feed set `feed_ids` (a server's)."""
    ids = list(feed_ids)
    async with db.connection() as conn:
        rows = await conn.execute(
            sa.select(feeds.c.language, sa.func.count())
            .where(feeds.c.enabled.is_(True), feeds.c.id.in_(ids))
            .group_by(feeds.c.language)
        )
        by_language = {language: int(n) for language, n in rows}
        total = int(
            await conn.scalar(
                sa.select(sa.func.count()).select_from(articles).where(articles.c.feed_id.in_(ids))
            )
            or 0
        )
    return AboutInfo(
        version=__version__,
        feeds_by_language=by_language,
        articles=total,
        latest_article=await latest_article_time(db, feed_ids=ids),
        market_days=await latest_days(db),
        translation=await translation_status(db),
    )
