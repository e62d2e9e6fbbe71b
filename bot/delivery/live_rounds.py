"""Live news: each new story of a server's feed set posted once in every live channel.

A tick (`deliver_live`, every LIVE_TICK_SECONDS) takes over deliveries a crash left open, and
scans for new stories only when the stored data changed (bot/live/trigger.py) or a rate-capped
channel has room again. A scan reads the recent window once, views it once per (feed set,
language filter), and claims one row per (channel, story lead): the claim, nonce, marker and
recovery are the digests' (see engine.py), so a story reaches a channel exactly once.
Subscriptions are claimed in batches of 50, each batch sending before the next is planned.

Per channel at most `posts` posts in any `window`; when more stories are due than there is
room, the last post of the room is one "N more stories" message whose row lists the stories
it carries (`bundle`): they count as delivered and are never posted on their own later.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.config import Settings
from bot.delivery import ledger
from bot.delivery.courier import Clock, Courier, FeedsOf, Kind, LanguageOf, StoryRounds, TranslateOf
from bot.delivery.ledger import OPEN_STATES, SENDING, SENT
from bot.delivery.live_messages import (
    Planned,
    View,
    bundle_leads,
    bundle_text,
    planned_messages,
    recovered_messages,
)
from bot.delivery.policy import DeliveryReport
from bot.live.candidates import (
    LiveCandidate,
    first_unclustered_id,
    matches,
    newest_article_id,
    read_window,
    split_for_cap,
)
from bot.live.store import LiveSubscription, disable
from bot.live.tables import live_deliveries, live_subscriptions
from bot.live.trigger import DataVersion, data_version
from bot.shards import Scope
from bot.storage import Database

log = logging.getLogger(__name__)

LIVE = Kind("live", live_deliveries, live_subscriptions, disable)
YIELD_EVERY = 100
MAX_BUNDLE = 500  # stories one "N more" post may carry; the rest wait for the next one
# A story waits this long for its sentiment score (the pass scores right after storing), so
# its post carries the badge; a story whose scoring fails is posted without one after it.
SCORE_WAIT = timedelta(seconds=45)


@dataclass(frozen=True)
class LiveLimits:
    max_age: timedelta = timedelta(hours=6)  # never post a story older than this
    posts: int = 10  # posts per channel per `window`
    window: timedelta = timedelta(minutes=10)
    batch: int = 50  # subscriptions planned and claimed per step (~500 rows)

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveLimits:
        return cls(
            max_age=timedelta(hours=settings.live_max_age_hours),
            posts=settings.live_rate_posts,
            window=timedelta(seconds=settings.live_rate_window_seconds),
        )


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


class LiveRounds(StoryRounds):
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
        translate_of: TranslateOf | None = None,
    ) -> None:
        super().__init__(
            db,
            courier,
            language_of=language_of,
            feeds_of=feeds_of,
            scope=scope,
            clock=clock,
            translate_of=translate_of,
        )
        self.limits = limits
        self._seen: DataVersion | None = None
        self._rescan_at: datetime | None = None  # a capped channel gets room again
        # A scan after new articles reads only the stories they touched (articles above
        # `_upto`); everything is looked at again when subscriptions change, when a capped
        # channel gets room, and every `limits.window` as a safety net.
        self._upto: int | None = None
        self._full_at: datetime | None = None
        self._waiting: int | None = None  # the smallest lead held back for its score

    async def deliver_live(self, now: datetime | None = None) -> DeliveryReport:
        now = now or self._clock()
        report = DeliveryReport()
        jobs: list[asyncio.Task[None]] = []
        try:
            recovered = await recovered_messages(
                self._db,
                await self._take_over(LIVE, now),
                now=now,
                max_age=self.limits.max_age,
                feeds_of=self._feeds_of,
                language_of=self._language_of,
                translate_of=self._translate_of,
            )
            self._start(recovered, report, jobs)
            version = await data_version(self._db)
            full = (
                self._seen is None
                or self._upto is None
                or version.subscriptions != self._seen.subscriptions
                or (self._rescan_at is not None and now >= self._rescan_at)
                or (self._full_at is not None and now >= self._full_at)
            )
            if full or version != self._seen:
                after = None if full else min(self._upto or 0, (self._waiting or 1 << 62) - 1)
                log.debug("live scan after %s (%s)", after, version)
                await self._scan(now, after, report, jobs)
                self._seen = version  # only after a scan that worked: a failed one runs again
                if full:
                    self._full_at = now + self.limits.window
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

    def _start(
        self, pairs: list[Any], report: DeliveryReport, jobs: list[asyncio.Task[None]]
    ) -> None:
        for claim, message in pairs:
            jobs.append(asyncio.create_task(self._courier.deliver(LIVE, claim, message, report)))

    # -- scanning ---------------------------------------------------------------------------

    async def _subscriptions(self) -> list[LiveSubscription]:
        t = live_subscriptions
        query = sa.select(t).where(t.c.enabled.is_(True)).order_by(t.c.id)
        if (scope := self._where(t)) is not None:
            query = query.where(scope)
        async with self._db.connection() as conn:
            return [LiveSubscription.from_row(r) for r in (await conn.execute(query)).all()]

    async def _scan(
        self,
        now: datetime,
        after_id: int | None,
        report: DeliveryReport,
        jobs: list[asyncio.Task[None]],
    ) -> None:
        if after_id is None:
            self._rescan_at = None
        subs = await self._subscriptions()
        if not subs:
            return
        sets = await self._feeds_of({s.guild_id for s in subs})
        # Read before the window: whatever is stored meanwhile is above it, so read again. An
        # article stored but not clustered (before or after the window's read) keeps the
        # watermark below it: it gets its story moments later and must be read then.
        newest = await newest_article_id(self._db) if after_id is None else None
        pending_before = await first_unclustered_id(self._db)
        window = await read_window(
            self._db, now=now, max_age=self.limits.max_age, after_id=after_id
        )
        self._upto = max(self._upto or 0, newest or 0, window.newest_id or 0)
        pending_after = await first_unclustered_id(self._db)
        pending = [p for p in (pending_before, pending_after) if p is not None]
        if pending:
            self._upto = min(self._upto, min(pending) - 1)
        views: dict[View, list[LiveCandidate]] = {}
        self._waiting = None
        for sub in subs:
            key = (sets[sub.guild_id], sub.language)
            if key not in views:
                views[key] = [c for c in await window.view(*key) if self._ready(c, now)]
        leads = [c.lead_article_id for group in views.values() for c in group if c.fresh]
        log.debug(
            "live scan: %d stories, %d fresh leads, up to %s",
            len(window.stories),
            len(leads),
            self._upto,
        )
        if not leads:
            return
        for start in range(0, len(subs), self.limits.batch):
            batch = subs[start : start + self.limits.batch]
            ids = [s.id for s in batch]
            taken = await self._taken(ids, min(leads), now)
            recent = await self._recent(ids, now)
            rows: list[dict[str, Any]] = []
            plans: dict[str, Planned] = {}
            for sub in batch:
                view = (sets[sub.guild_id], sub.language)
                todo = [
                    c
                    for c in views[view]
                    if c.fresh
                    and c.lead_article_id > sub.since_article_id
                    and c.lead_article_id not in taken[sub.id]
                    and matches(c, coin=sub.coin, min_sources=sub.min_sources)
                ]
                if todo:
                    self._plan(sub, view, todo, sorted(recent[sub.id]), now, rows, plans)
            claims = await ledger.claim_new(
                self._db,
                live_deliveries,
                live_subscriptions,
                rows,
                now=now,
                lease=self.policy.lease,
            )
            pairs = await planned_messages(
                self._db, claims, plans, self._language_of, self._translate_of
            )
            self._start(pairs, report, jobs)

    def _ready(self, candidate: LiveCandidate, now: datetime) -> bool:
        """False while a fresh story waits for its sentiment score (noted for a look again
        when the score lands, or when the wait is over)."""
        if candidate.scored or not candidate.fresh or candidate.stored_at <= now - SCORE_WAIT:
            return True
        lead = candidate.lead_article_id
        self._waiting = min(lead, self._waiting or lead)
        again = candidate.stored_at + SCORE_WAIT
        self._rescan_at = min(again, self._rescan_at or again)
        return False

    def _plan(
        self,
        sub: LiveSubscription,
        view: View,
        todo: list[LiveCandidate],
        posted: list[datetime],
        now: datetime,
        rows: list[dict[str, Any]],
        plans: dict[str, Planned],
    ) -> None:
        """This channel's rows: one per story that fits the cap, the rest in one overflow."""
        limits = self.limits
        room = limits.posts - len(posted)
        if room <= 0:  # look again when the oldest counted post leaves the window
            free_at = posted[len(posted) - limits.posts] + limits.window
            self._rescan_at = min(free_at, self._rescan_at or free_at)
            return
        singles, folded = split_for_cap(todo, room)
        if len(folded) > MAX_BUNDLE:
            folded = folded[:MAX_BUNDLE]
            self._rescan_at = min(now, self._rescan_at or now)  # the rest: next tick

        def row(key: str, **extra: Any) -> dict[str, Any]:
            values = {"lead_article_id": None, "story_id": None, "bundle": None, **extra}
            return ledger.new_row(
                subscription_id=sub.id,
                channel_id=sub.channel_id,
                idempotency_key=key,
                run_at=now,
                now=now,
                state=SENDING,
                **values,
            )

        for c in singles:
            key = f"live:{sub.channel_id}:{c.lead_article_id}"
            rows.append(row(key, lead_article_id=c.lead_article_id, story_id=c.view.story_id))
            plans[key] = Planned(sub, view, (c,), more=False)
        if folded:
            key = f"live:{sub.channel_id}:more:{folded[0].lead_article_id}"
            rows.append(row(key, bundle=bundle_text(c.lead_article_id for c in folded)))
            plans[key] = Planned(sub, view, tuple(folded), more=True)

    async def _taken(self, sub_ids: list[int], min_lead: int, now: datetime) -> dict[int, set[int]]:
        """Per subscription, the story leads it already has a row for (any state), posted
        alone or inside an overflow post."""
        d = live_deliveries
        taken: dict[int, set[int]] = defaultdict(set)
        # An overflow row older than max_age lists only stories too old to post anyway.
        bundles = sa.and_(d.c.bundle.is_not(None), d.c.created_at >= now - self.limits.max_age)
        async with self._db.connection() as conn:
            for chunk in _chunks(sub_ids):
                found = await conn.execute(
                    sa.select(d.c.subscription_id, d.c.lead_article_id, d.c.bundle).where(
                        d.c.subscription_id.in_(chunk),
                        sa.or_(d.c.lead_article_id >= min_lead, bundles),
                    )
                )
                for sid, lead, bundle in found:
                    if lead is not None:
                        taken[sid].add(lead)
                    taken[sid].update(bundle_leads(bundle))
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


__all__ = ["LIVE", "LiveLimits", "LiveRounds"]
