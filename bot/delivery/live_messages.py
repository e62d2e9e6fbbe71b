"""The messages of live deliveries: built from this scan's stories, or rebuilt from the store
for deliveries a crash left open."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.compose.live import LiveStory, live_stories
from bot.delivery.courier import FeedSet, FeedsOf, LanguageOf, TranslateOf
from bot.delivery.ledger import Claim
from bot.delivery.messages import LiveMessage
from bot.i18n import Language
from bot.live.candidates import LiveCandidate, story_by_lead
from bot.live.store import LiveSubscription
from bot.live.tables import live_deliveries, live_subscriptions
from bot.storage import Database

View = tuple[FeedSet, str | None]  # a feed set and a language filter


@dataclass(frozen=True)
class Planned:
    """What one claimed row will post: one story, or (`more`) the stories over the cap."""

    sub: LiveSubscription
    view: View
    stories: tuple[LiveCandidate, ...]
    more: bool


def bundle_text(leads: Iterable[int]) -> str:
    return ",".join(str(lead) for lead in leads)


def bundle_leads(text: str | None) -> list[int]:
    return [int(part) for part in (text or "").split(",") if part]


def _message(claim: Claim, stories: list[LiveStory], more: bool, language: Language) -> LiveMessage:
    return LiveMessage(
        tuple(stories), more, language, claim.marker, claim.guild_id, claim.subscription_id
    )


async def planned_messages(
    db: Database,
    claims: list[Claim],
    plans: dict[str, Planned],
    language_of: LanguageOf,
    translate_of: TranslateOf,
) -> list[tuple[Claim, LiveMessage | None]]:
    """Each claim's message; every story localised once per (view, reader language, the
    server's translation switch)."""
    languages = {c.guild_id: await language_of(c.guild_id) for c in claims}
    switches = {c.guild_id: await translate_of(c.guild_id) for c in claims}
    Key = tuple[View, Language, bool]
    wanted: dict[Key, dict[int, LiveCandidate]] = defaultdict(dict)
    for claim in claims:
        plan = plans[claim.idempotency_key]
        key = (plan.view, languages[claim.guild_id], switches[claim.guild_id])
        for c in plan.stories:
            wanted[key][c.lead_article_id] = c
    shown: dict[Key, dict[int, LiveStory]] = {}
    for (view, language, translate), cands in wanted.items():
        stories = await live_stories(db, list(cands.values()), language, translate=translate)
        shown[(view, language, translate)] = {s.lead_article_id: s for s in stories}
    out: list[tuple[Claim, LiveMessage | None]] = []
    for claim in claims:
        plan = plans[claim.idempotency_key]
        language = languages[claim.guild_id]
        table = shown[(plan.view, language, switches[claim.guild_id])]
        stories = [table[c.lead_article_id] for c in plan.stories]
        out.append((claim, _message(claim, stories, plan.more, language)))
    return out


async def recovered_messages(
    db: Database,
    claims: list[Claim],
    *,
    now: datetime,
    max_age: timedelta,
    feeds_of: FeedsOf,
    language_of: LanguageOf,
    translate_of: TranslateOf,
) -> list[tuple[Claim, LiveMessage | None]]:
    """Messages for deliveries a crash left open, rebuilt from the store. Past max_age (or
    with its stories gone) only what happened is resolved: nothing stale is posted."""
    if not claims:
        return []
    d, t = live_deliveries, live_subscriptions
    async with db.connection() as conn:
        rows = {
            r.id: r
            for r in await conn.execute(
                sa.select(d.c.id, d.c.lead_article_id, d.c.bundle).where(
                    d.c.id.in_([c.id for c in claims])
                )
            )
        }
        subs = {
            r.id: LiveSubscription.from_row(r)
            for r in await conn.execute(
                sa.select(t).where(t.c.id.in_({c.subscription_id for c in claims}))
            )
        }
    sets = await feeds_of({c.guild_id for c in claims})
    out: list[tuple[Claim, LiveMessage | None]] = []
    for claim in claims:
        row, sub = rows[claim.id], subs[claim.subscription_id]
        if now - claim.run_at > max_age:
            out.append((claim, None))
            continue
        leads = bundle_leads(row.bundle) if row.bundle else [row.lead_article_id]
        found = []
        for lead in leads:
            c = await story_by_lead(
                db,
                lead,
                feed_ids=sets[claim.guild_id],
                language=sub.language,
                now=now,
                max_age=max_age,
            )
            if c is not None:
                found.append(c)
        language = await language_of(claim.guild_id)
        translate = await translate_of(claim.guild_id)
        stories = await live_stories(db, found, language, translate=translate)
        out.append(
            (claim, _message(claim, stories, bool(row.bundle), language) if stories else None)
        )
    return out
