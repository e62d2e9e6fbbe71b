"""Every read a slash command makes, behind one cache: the only place that builds cache keys.

Two hundred people asking /news in the same second cost one query (see bot.utils.cache). Keys
carry everything the answer depends on, so cogs never build them. New data from the pipeline
(the data version) refreshes the answers in the background; a pass in this process clears
them, and `/feeds` forgets a server's own entries after its feed list changes.

Tenancy: every answer is computed from the asking server's feed set (its active defaults plus
its own feeds; outside a server, the enabled defaults) and keyed by that set, never by the
server: servers reading the same feeds share an answer, and a server's own feeds reach no
other server's answers.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.compose.about import AboutInfo, about_info
from bot.compose.digest import SignalSource, compose_digest
from bot.compose.news import NewsBrief, news_brief
from bot.config import Settings
from bot.digest.model import Digest
from bot.guilds.feeds import GuildFeed, active_feed_ids, default_feed_ids, list_guild_feeds
from bot.i18n import Language
from bot.market.report import SignalReport, build_signal_report
from bot.market.signal import rules_from_settings
from bot.news.coins import COIN_NAMES
from bot.news.query import known_coins
from bot.sentiment.aggregate import SentimentSummary, sentiment_summary
from bot.storage import Database
from bot.utils.cache import ReadCache


class Reads:
    def __init__(self, db: Database, cache: ReadCache) -> None:
        self._db = db
        self._cache = cache
        # Chart drawings, keyed by the market data they show: neither a publication nor a
        # pass here nor a ttl ends them (the shared cache's `stable` entries expire after its
        # ttl: a 0.4 s drawing a minute), so a chart is drawn once per market change and language.
        self._charts = ReadCache(ttl=math.inf, max_entries=8)

    def invalidate(self) -> None:
        """Forget every answer: a changed feed set, or a pass this process just stored."""
        self._cache.clear()

    def refresh(self) -> None:
        """Another process published new data (the data version moved): each question gets
        its previous answer for at most a second more while one recomputation builds the
        new one (bot/utils/cache.py `mark_stale`), instead of every asker waiting."""
        self._cache.mark_stale()

    def feeds_changed(self, guild_id: int) -> None:
        """This server's feed list changed (/feeds add or remove in this process): forget its
        list and its feed set. Answers are keyed by feed set, so other servers' stay valid."""
        self._cache.discard(("feeds", guild_id), ("guild-feeds", guild_id))

    async def guild_feeds(self, guild_id: int) -> tuple[GuildFeed, ...]:
        """The server's feed list as /feeds shows it (defaults, switched off or not, and its
        own), with each feed's last fetch problem: those come from the pipeline's passes, whose
        publication (the data version) refreshes it."""
        return await self._cache.get(("guild-feeds", guild_id), lambda: self._guild_feeds(guild_id))

    async def _guild_feeds(self, guild_id: int) -> tuple[GuildFeed, ...]:
        return tuple(await list_guild_feeds(self._db, guild_id))

    async def feed_ids(self, guild_id: int | None) -> tuple[int, ...]:
        """The feed set a server reads, sorted: its active defaults and its own feeds.

        Outside a server (None): the enabled defaults, never a feed a server added."""
        return await self._cache.get(("feeds", guild_id), lambda: self._feed_set(guild_id))

    async def _feed_set(self, guild_id: int | None) -> tuple[int, ...]:
        if guild_id is None:
            ids = await default_feed_ids(self._db)
        else:
            ids = await active_feed_ids(self._db, guild_id)
        return tuple(sorted(ids))

    async def news(
        self,
        guild_id: int | None,
        *,
        now: datetime,
        hours: int,
        coin: str | None,
        language: str | None,
        reader: Language = "en",
        translate: bool = True,
    ) -> NewsBrief:
        """`language` filters the sources; `reader` and `translate` (the server's reply
        language and translation switch) choose each story's text (bot.compose.localize)."""
        feeds = await self.feed_ids(guild_id)
        return await self._cache.get(
            ("news", feeds, hours, coin, language, reader, translate),
            lambda: news_brief(
                self._db,
                now=now,
                hours=hours,
                coin=coin,
                language=language,
                feed_ids=feeds,
                reader=reader,
                translate=translate,
            ),
        )

    async def sentiment(
        self, guild_id: int | None, *, now: datetime, period: str, coin: str | None
    ) -> SentimentSummary:
        feeds = await self.feed_ids(guild_id)
        return await self._cache.get(
            ("sentiment", feeds, period, coin),
            lambda: sentiment_summary(self._db, period=period, coin=coin, now=now, feed_ids=feeds),
        )

    async def digest(
        self,
        guild_id: int | None,
        *,
        language: Language,
        now: datetime,
        signal: SignalSource,
        zone: ZoneInfo,
        translate: bool = True,
    ) -> Digest:
        """Today's digest of the server's feed set (/digest preview); `signal(now)` builds the
        market report; `translate` is the server's translation switch."""
        feeds = await self.feed_ids(guild_id)

        async def compose() -> Digest:
            report = await signal(now)
            return await compose_digest(
                self._db,
                feed_ids=feeds,
                language=language,
                now=now,
                signal=report,
                zone=zone,
                translate=translate,
            )

        return await self._cache.get(("digest", feeds, language, zone.key, translate), compose)

    async def coin_suggestions(self, guild_id: int | None, current: str) -> list[str]:
        """Most-mentioned coins first, matching ticker or name; Discord allows 25 choices."""
        feeds = await self.feed_ids(guild_id)
        mentioned = await self._cache.get(
            ("known_coins", feeds), lambda: known_coins(self._db, feed_ids=feeds)
        )
        ordered = mentioned + [t for t in COIN_NAMES if t not in mentioned]
        needle = current.strip().lower()
        hits = [
            t for t in ordered if needle in t.lower() or needle in COIN_NAMES.get(t, "").lower()
        ]
        return hits[:25]

    async def about(self, guild_id: int | None) -> AboutInfo:
        feeds = await self.feed_ids(guild_id)
        return await self._cache.get(("about", feeds), lambda: about_info(self._db, feed_ids=feeds))

    async def signal(self, settings: Settings) -> SignalReport:
        """The market report, one per data version: a market refresh in any process bumps it
        (bot/market/refresh.py). Within a version the report's own memo (per stored series)
        answers an expired entry without recomputing."""
        return await self._cache.get(
            ("signal", rules_from_settings(settings)),
            lambda: build_signal_report(self._db, settings),
        )

    async def signal_chart(self, report: SignalReport, language: Language) -> bytes:
        """One drawing per market data version and language, shared by everyone asking."""
        # matplotlib costs ~45 MB resident: only a process that draws a chart imports it.
        from bot.market.chart import draw_chart

        shown = report.key
        if shown is None:  # a report not built by build_signal_report
            shown = (report.as_of, len(report.rut), len(report.eth_btc), report.rules)
        return await self._charts.get(
            ("signal-chart", language, shown),
            lambda: asyncio.to_thread(draw_chart, report, language),
        )
