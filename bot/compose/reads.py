"""Every read a slash command makes, behind one cache: the only place that builds cache keys.

Two hundred people asking /news in the same second cost one query (see bot.utils.cache). Keys
carry everything the answer depends on, so cogs never build them; the pipeline clears the
cache after each pass and `/feeds` after a server's feed set changes.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.compose.about import AboutInfo, about_info
from bot.compose.news import NewsBrief, news_brief
from bot.guilds.feeds import active_feed_ids
from bot.i18n import Language
from bot.market.chart import render_chart
from bot.market.report import SignalReport
from bot.news.coins import COIN_NAMES
from bot.news.query import known_coins
from bot.sentiment.aggregate import SentimentSummary, sentiment_summary
from bot.storage import Database
from bot.utils.cache import ReadCache


class Reads:
    def __init__(self, db: Database, cache: ReadCache) -> None:
        self._db = db
        self._cache = cache

    def invalidate(self) -> None:
        """Forget every answer: new articles, scores or a changed feed set."""
        self._cache.clear()

    async def feed_ids(self, guild_id: int | None) -> list[int] | None:
        """The feeds a server reads (None outside a server: every enabled default)."""
        if guild_id is None:
            return None
        return await self._cache.get(
            ("feeds", guild_id), lambda: active_feed_ids(self._db, guild_id)
        )

    async def news(
        self,
        guild_id: int | None,
        *,
        now: datetime,
        hours: int,
        coin: str | None,
        language: str | None,
    ) -> NewsBrief:
        feed_ids = await self.feed_ids(guild_id)
        key = ("news", hours, coin, language, tuple(feed_ids or ()))
        return await self._cache.get(
            key,
            lambda: news_brief(
                self._db, now=now, hours=hours, coin=coin, language=language, feed_ids=feed_ids
            ),
        )

    async def sentiment(
        self, guild_id: int | None, *, now: datetime, period: str, coin: str | None
    ) -> SentimentSummary:
        return await self._cache.get(
            ("sentiment", period, coin),
            lambda: sentiment_summary(self._db, period=period, coin=coin, now=now),
        )

    async def coin_suggestions(self, guild_id: int | None, current: str) -> list[str]:
        """Most-mentioned coins first, matching ticker or name; Discord allows 25 choices."""
        mentioned = await self._cache.get("known_coins", lambda: known_coins(self._db))
        ordered = mentioned + [t for t in COIN_NAMES if t not in mentioned]
        needle = current.strip().lower()
        hits = [
            t for t in ordered if needle in t.lower() or needle in COIN_NAMES.get(t, "").lower()
        ]
        return hits[:25]

    async def about(self) -> AboutInfo:
        return await self._cache.get("about", lambda: about_info(self._db))

    async def signal_chart(self, report: SignalReport, language: Language) -> bytes:
        """One drawing per data version and language, shared by everyone asking meanwhile."""
        version = (report.as_of, len(report.rut), len(report.eth_btc), report.rules)
        return await self._cache.get(
            ("signal-chart", language, version),
            lambda: asyncio.to_thread(render_chart, report, language),
        )
