"""Live news: each new story of a server's feed set posted once in every live channel.

A tick (`deliver_live`, every LIVE_TICK_SECONDS) takes over deliveries a crash left open, and
scans for new stories only when the stored data changed (bot/live/trigger.py) or a rate-capped
channel has room again. A scan reads the recent window once, views it once per (feed set,
language filter), and claims one row per (channel, story lead): the claim, nonce, marker and
recovery are the digests' (see engine.py), so a story reaches a channel exactly once.

Per channel at most `posts` posts in any `window`; when more stories are due than there is
room, the last post of the room is one "N more stories" message listing the rest, whose
stories are recorded as 'folded' so they are never posted on their own later.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.compose.live import LiveStory, live_stories
from bot.config import Settings
from bot.delivery import ledger
from bot.delivery.courier import Clock, Courier, Kind, LanguageOf, Rounds
from bot.delivery.digests import FeedSet, FeedsOf
from bot.delivery.ledger import OPEN_STATES, SENDING, SENT, Claim
from bot.delivery.messages import LiveMessage
from bot.delivery.policy import DeliveryReport
from bot.i18n import Language
from bot.live.candidates import (
    LiveCandidate,
    Window,
    matches,
    newest_article_id,
    read_window,
    split_for_cap,
    story_by_lead,
)
from bot.live.store import LiveSubscription, disable
from bot.live.tables import live_deliveries, live_subscriptions
from bot.live.trigger import DataVersion, data_version
from bot.shards import Scope
from bot.storage import Database

log = logging.getLogger(__name__)

LIVE = Kind("live", live_deliveries, live_subscriptions, disable)
FOLDED = "folded"  # a story that went out inside an overflow post
YIELD_EVERY = 100


@dataclass(frozen=True)
class LiveLimits:
    max_age: timedelta = timedelta(hours=6)  # never post a story older than this
    posts: int = 10  # posts per channel per `window`
    window: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveLimits:
        return cls(
            max_age=timedelta(hours=settings.live_max_age_hours),
            posts=settings.live_rate_posts,
            window=timedelta(seconds=settings.live_rate_window_seconds),
        )


@dataclass(frozen=True)
class _Planned:
    sub: LiveSubscription
    group: tuple[FeedSet, str | None]
    stories: tuple[LiveCandidate, ...]
    more: bool


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


class LiveRounds(Rounds):
    """`deliver_live`: new stories to live channels, once each, within the rate cap."""

    def __init__(
        self,
        db: Database,
        courier: Courier,
        *,
        language_of: LanguageOf,
        feeds_of: FeedsOf,
        scope: Scope | None,
        clock: Clock,
        limits: LiveLimits,
    ) -> None:
        super().__init__(db, courier, language_of=language_of, scope=scope, clock=clock)
        self._feeds_of = feeds_of
        self.limits = limits
        self._seen: DataVersion | None = None
        self._rescan_at: datetime | None = None  # a capped channel gets room again
        # A scan after new articles reads only the stories they touched (articles above
        # `_upto`); everything is looked at again when subscriptions change, when a capped
        # channel gets room, and every `limits.window` as a safety net.
        self._upto: int | None = None
        self._full_at: datetime | None = None

    async def deliver_live(self, now: datetime | None = None) -> DeliveryReport:
        now = now or self._clock()
        report = DeliveryReport()
        pairs = await self._recover(await self._take_over(LIVE, now), now)
        version = await data_version(self._db)
        full = (
            self._seen is None
            or self._upto is None
            or version[1:] != self._seen[1:]  # the subscriptions changed
            or (self._rescan_at is not None and now >= self._rescan_at)
            or (self._full_at is not None and now >= self._full_at)
        )
        if full or version != self._seen:
            pairs += await self._scan(now, after_id=None if full else self._upto)
            self._seen = version  # only after a scan that worked: a failed one runs again
            if full:
                self._full_at = now + self.limits.window
        jobs = [
            asyncio.create_task(self._courier.deliver(LIVE, claim, message, report))
            for claim, message in pairs
        ]
        try:
            await asyncio.gather(*jobs)
        except BaseException:
            for job in jobs:  # rows stay 'sending'; the next start resolves them
                job.cancel()
            raise
        if jobs:
            log.info(
                "live: %d sent, %d recovered, %d deferred, %d failed",
                report.sent,
                report.recovered,
                report.deferred,
                report.failed,
            )
        return report

    # -- scanning ---------------------------------------------------------------------------

    async def _subscriptions(self) -> list[LiveSubscription]:
        t = live_subscriptions
        query = sa.select(t).where(t.c.enabled.is_(True)).order_by(t.c.id)
        if (scope := self._where(t)) is not None:
            query = query.where(scope)
        async with self._db.connection() as conn:
            return [LiveSubscription.from_row(r) for r in (await conn.execute(query)).all()]

    async def _scan(
        self, now: datetime, after_id: int | None
    ) -> list[tuple[Claim, LiveMessage | None]]:
        if after_id is None:
            self._rescan_at = None
        subs = await self._subscriptions()
        if not subs:
            return []
        sets = await self._feeds_of({s.guild_id for s in subs})
        # Read before the window: whatever is stored meanwhile is above it, so read again.
        newest = await newest_article_id(self._db) if after_id is None else None
        window = await read_window(
            self._db, now=now, max_age=self.limits.max_age, after_id=after_id
        )
        self._upto = max(self._upto or 0, newest or 0, window.newest_id or 0)
        views: dict[tuple[FeedSet, str | None], list[LiveCandidate]] = {}
        for n, sub in enumerate(subs, 1):
            key = (sets[sub.guild_id], sub.language)
            if key not in views:
                views[key] = window.candidates(*key)
                await asyncio.sleep(0)  # one view per step of the loop
            elif n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        leads = [c.lead_article_id for group in views.values() for c in group if c.fresh]
        if not leads:
            return []
        ids = [s.id for s in subs]
        taken = await self._taken(ids, min(leads))
        recent = await self._recent(ids, now)
        rows: list[dict[str, Any]] = []
        plans: dict[str, _Planned] = {}
        for n, sub in enumerate(subs, 1):
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            group = (sets[sub.guild_id], sub.language)
            todo = [
                c
                for c in views[group]
                if c.fresh
                and c.lead_article_id > sub.since_article_id
                and c.lead_article_id not in taken[sub.id]
                and matches(c, coin=sub.coin, min_sources=sub.min_sources)
            ]
            if todo:
                self._plan(sub, group, todo, sorted(recent[sub.id]), now, rows, plans)
        claims = await ledger.claim_new(
            self._db,
            live_deliveries,
            live_subscriptions,
            rows,
            now=now,
            lease=self.policy.lease,
        )
        return await self._messages(claims, plans)

    def _plan(
        self,
        sub: LiveSubscription,
        group: tuple[FeedSet, str | None],
        todo: list[LiveCandidate],
        posted: list[datetime],
        now: datetime,
        rows: list[dict[str, Any]],
        plans: dict[str, _Planned],
    ) -> None:
        """This channel's rows: one per story that fits the cap, the rest in one overflow."""
        limits = self.limits
        room = limits.posts - len(posted)
        if room <= 0:  # look again when the oldest counted post leaves the window
            free_at = posted[len(posted) - limits.posts] + limits.window
            self._rescan_at = min(free_at, self._rescan_at or free_at)
            return
        singles, folded = split_for_cap(todo, room)

        def row(key: str, state: str, **extra: Any) -> dict[str, Any]:
            values = {"lead_article_id": None, "story_id": None, "bundle": None, **extra}
            return ledger.new_row(
                subscription_id=sub.id,
                channel_id=sub.channel_id,
                idempotency_key=key,
                run_at=now,
                now=now,
                state=state,
                **values,
            )

        for c in singles:
            key = f"live:{sub.channel_id}:{c.lead_article_id}"
            rows.append(
                row(key, SENDING, lead_article_id=c.lead_article_id, story_id=c.view.story_id)
            )
            plans[key] = _Planned(sub, group, (c,), more=False)
        if folded:
            more = f"live:{sub.channel_id}:more:{folded[0].lead_article_id}"
            bundle = ",".join(str(c.lead_article_id) for c in folded)
            rows.append(row(more, SENDING, bundle=bundle))
            plans[more] = _Planned(sub, group, tuple(folded), more=True)
            for c in folded:
                key = f"live:{sub.channel_id}:{c.lead_article_id}"
                rows.append(
                    row(
                        key,
                        FOLDED,
                        lead_article_id=c.lead_article_id,
                        story_id=c.view.story_id,
                        bundle=more,
                    )
                )

    async def _taken(self, sub_ids: list[int], min_lead: int) -> dict[int, set[int]]:
        """Per subscription, the story leads it already has a row for (any state)."""
        d = live_deliveries
        taken: dict[int, set[int]] = defaultdict(set)
        async with self._db.connection() as conn:
            for chunk in _chunks(sub_ids):
                found = await conn.execute(
                    sa.select(d.c.subscription_id, d.c.lead_article_id).where(
                        d.c.subscription_id.in_(chunk), d.c.lead_article_id >= min_lead
                    )
                )
                for sid, lead in found:
                    taken[sid].add(lead)
        return taken

    async def _recent(self, sub_ids: list[int], now: datetime) -> dict[int, list[datetime]]:
        """Per subscription, when each post counted by the rate cap was claimed."""
        d = live_deliveries
        recent: dict[int, list[datetime]] = defaultdict(list)
        async with self._db.connection() as conn:
            for chunk in _chunks(sub_ids):
                found = await conn.execute(
                    sa.select(d.c.subscription_id, d.c.created_at).where(
                        d.c.subscription_id.in_(chunk),
                        d.c.created_at > now - self.limits.window,
                        d.c.state.in_([*OPEN_STATES, SENT]),
                    )
                )
                for sid, at in found:
                    recent[sid].append(at)
        return recent

    # -- messages ---------------------------------------------------------------------------

    async def _messages(
        self, claims: list[Claim], plans: dict[str, _Planned]
    ) -> list[tuple[Claim, LiveMessage | None]]:
        """Each claim's message; every story localised once per (view, reader language)."""
        languages = {c.guild_id: await self._language_of(c.guild_id) for c in claims}
        wanted: dict[tuple[tuple[FeedSet, str | None], Language], dict[int, LiveCandidate]] = (
            defaultdict(dict)
        )
        for claim in claims:
            plan = plans[claim.idempotency_key]
            for c in plan.stories:
                wanted[(plan.group, languages[claim.guild_id])][c.lead_article_id] = c
        shown: dict[tuple[tuple[FeedSet, str | None], Language], dict[int, LiveStory]] = {}
        for (group, language), cands in wanted.items():
            stories = await live_stories(self._db, list(cands.values()), language)
            shown[(group, language)] = {s.lead_article_id: s for s in stories}
        out: list[tuple[Claim, LiveMessage | None]] = []
        for claim in claims:
            plan = plans[claim.idempotency_key]
            language = languages[claim.guild_id]
            table = shown[(plan.group, language)]
            shown_here = [table[c.lead_article_id] for c in plan.stories]
            out.append((claim, self._message(claim, shown_here, plan.more, language)))
        return out

    def _message(
        self, claim: Claim, stories: Sequence[LiveStory], more: bool, language: Language
    ) -> LiveMessage:
        return LiveMessage(
            tuple(stories), more, language, claim.marker, claim.guild_id, claim.subscription_id
        )

    async def _recover(
        self, claims: list[Claim], now: datetime
    ) -> list[tuple[Claim, LiveMessage | None]]:
        """Messages for deliveries a crash left open, rebuilt from the store. Past max_age
        (or with its story gone) only what happened is resolved: nothing stale is posted."""
        if not claims:
            return []
        d, t = live_deliveries, live_subscriptions
        ids = [c.id for c in claims]
        async with self._db.connection() as conn:
            rows = {
                r.id: r
                for r in await conn.execute(
                    sa.select(d.c.id, d.c.lead_article_id, d.c.bundle).where(d.c.id.in_(ids))
                )
            }
            subs = {
                r.id: LiveSubscription.from_row(r)
                for r in await conn.execute(
                    sa.select(t).where(t.c.id.in_({c.subscription_id for c in claims}))
                )
            }
        sets = await self._feeds_of({c.guild_id for c in claims})
        out: list[tuple[Claim, LiveMessage | None]] = []
        for claim in claims:
            row, sub = rows[claim.id], subs[claim.subscription_id]
            if now - claim.run_at > self.limits.max_age:
                out.append((claim, None))
                continue
            leads = (
                [int(x) for x in row.bundle.split(",") if x]
                if row.bundle
                else [row.lead_article_id]
            )
            found = await self._rebuild(leads, sets[claim.guild_id], sub.language, now)
            language = await self._language_of(claim.guild_id)
            stories = await live_stories(self._db, found, language)
            message = self._message(claim, stories, bool(row.bundle), language)
            out.append((claim, message if stories else None))
        return out

    async def _rebuild(
        self, leads: Collection[int], feeds: FeedSet, language: str | None, now: datetime
    ) -> list[LiveCandidate]:
        found = []
        for lead in leads:
            c = await story_by_lead(
                self._db,
                lead,
                feed_ids=feeds,
                language=language,
                now=now,
                max_age=self.limits.max_age,
            )
            if c is not None:
                found.append(c)
        return found


__all__ = ["FOLDED", "LIVE", "LiveLimits", "LiveRounds", "Window"]
