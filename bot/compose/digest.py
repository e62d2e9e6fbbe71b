"""Build the digest for one feed set and language from what the pipeline stored (no fetching).

Reads the news store (top stories, coin mentions) and the sentiment scores of the feed set's
articles only (a server's feeds: its active defaults plus its own), and the market signal
report. The selection rules are pure functions (`pick_stories`, `coin_moods`,
`mood_from_summary`, `macro_from_report`) tested without a database.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.compose.localize import LocalText, localize, localize_stories, stored_translations
from bot.config import Settings
from bot.digest.model import CoinMood, Digest, Macro, Mood, StoryItem
from bot.i18n import Language
from bot.market.report import SignalReport
from bot.news.dedupe import Weigher, similarity, title_tokens, token_weights
from bot.news.query import StoryView, top_stories
from bot.news.tables import article_coins, articles
from bot.sentiment.aggregate import SentimentSummary, load_scored, summarize
from bot.sentiment.store import sentiment_for_articles
from bot.storage import Database

log = logging.getLogger(__name__)

STORIES = 5
COINS = 6
# How many of the five slots English stories covered by several outlets may take in a
# non-English digest, so big international news is never missing.
MAJOR_ENGLISH = 2
# A mean score beyond this reads as bullish / bearish (as in /sentiment).
MOOD_LEAN = 0.1
WINDOW = timedelta(hours=24)
# Title-and-summary similarity above which two stories are one (stricter than clustering).
SAME_STORY = 0.5

SignalSource = Callable[[datetime], Awaitable[SignalReport | None]]


def lean(score: float | None, threshold: float = MOOD_LEAN) -> str | None:
    if score is None:
        return None
    if score > threshold:
        return "bullish"
    if score < -threshold:
        return "bearish"
    return "neutral"


def _same_story(a: StoryView, b: StoryView, weigh: Weigher) -> bool:
    """A second look across outlets the pipeline clustered apart (title and summary)."""
    return similarity(_tokens(a), _tokens(b), weigh) >= SAME_STORY


def _tokens(story: StoryView) -> frozenset[str]:
    return title_tokens(f"{story.title} {story.summary}")


def _covers(kept: StoryView, other: StoryView) -> bool:
    return set(other.article_ids) <= set(kept.article_ids)


def _merge(kept: StoryView, twin: StoryView) -> StoryView:
    """`kept` with `twin`'s sources, coins and articles added."""
    return dataclasses.replace(
        kept,
        sources=list(dict.fromkeys([*kept.sources, *twin.sources])),
        languages=sorted({*kept.languages, *twin.languages}),
        coins=list(dict.fromkeys([*kept.coins, *twin.coins])),
        article_ids=[*kept.article_ids, *twin.article_ids],
        texts=(*kept.texts, *twin.texts),
    )


def pick_stories(
    local: Sequence[StoryView],
    english: Sequence[StoryView],
    limit: int = STORIES,
    reserve: int = MAJOR_ENGLISH,
) -> list[StoryView]:
    """The reader's language first, then major English stories (several outlets, at most
    `reserve` of them), then fill.

    Both lists come ranked by `top_stories` (most outlets, then newest). A story appears
    once: the same story in the other language, or one that reads as a rewrite of a picked
    story, adds its sources to it instead.
    """
    weigh = token_weights(_tokens(s) for s in [*local, *english])
    picked: list[StoryView] = []
    native = {id(s) for s in local}

    def add(story: StoryView) -> bool:
        """Pick or merge `story`; True when it took a new slot."""
        if any(_covers(p, story) for p in picked):
            return False
        for i, p in enumerate(picked):
            if story.story_id == p.story_id or _same_story(p, story, weigh):
                # The reader's-language version leads (title, summary, link, sources first).
                swap = id(story) in native and id(p) not in native
                picked[i] = _merge(story, p) if swap else _merge(p, story)
                return False
        if len(picked) >= limit:
            return False
        picked.append(story)
        return True

    majors = [s for s in english if len(s.sources) > 1] if local else []
    reserved = limit - min(reserve, len(majors))
    for story in local:
        if len(picked) >= reserved:
            break
        add(story)
    added = 0
    for story in majors:
        if added >= reserve:
            break
        added += add(story)
    for story in [*local, *english]:
        add(story)  # fill the rest, still merging duplicates into what is shown
    return picked


def mood_from_summary(summary: SentimentSummary) -> Mood:
    current = summary.current
    basis = tuple(
        (backend, model, n)
        for (backend, model), n in sorted(summary.sources.items(), key=lambda kv: -kv[1])
    )
    return Mood(
        score=current.mean_score,
        previous=summary.previous.mean_score,
        articles=current.articles,
        label=lean(current.mean_score),
        basis=basis,
    )


def coin_moods(
    mentions: Sequence[tuple[int, str]], scores: dict[int, float], limit: int = COINS
) -> list[CoinMood]:
    """Most-mentioned coins first (articles naming them), each with its mean sentiment."""
    by_coin: dict[str, set[int]] = defaultdict(set)
    for article_id, coin in mentions:
        by_coin[coin].add(article_id)
    ranked = sorted(by_coin.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
    out = []
    for coin, ids in ranked:
        scored = [scores[i] for i in ids if i in scores]
        mean = sum(scored) / len(scored) if scored else None
        out.append(CoinMood(coin, len(ids), mean, lean(mean)))
    return out


def macro_from_report(report: SignalReport) -> Macro:
    state, context = report.state, report.context
    last = state.last_breakout if state else None
    return Macro(
        as_of=state.last_date if state else None,
        rut_close=state.last_close if state else None,
        rut_distance=state.distance if state else None,
        rut_armed=bool(state and state.armed and not state.at_record),
        last_breakout=last.date if last else None,
        last_breakout_confirmed=(last.confirmed_on is not None) if last else None,
        eth_btc=context.eth_btc[1] if context.eth_btc else None,
        eth_btc_change=context.eth_btc_change,
        btc_dominance=context.dominance[1] if context.dominance else None,
        dominance_gap=context.dominance_gap,
        fear_greed=context.fear_greed[1] if context.fear_greed else None,
        markers_present=context.present_count,
        markers_total=len(context.markers),
        sample_size=report.completed_cases,
    )


async def coin_mentions(
    db: Database, *, now: datetime, feed_ids: Collection[int]
) -> list[tuple[int, str]]:
    """(article, ticker) for every coin the feed set's articles of the last day name."""
    query = (
        sa.select(article_coins.c.article_id, article_coins.c.coin)
        .join(articles, articles.c.id == article_coins.c.article_id)
        .where(
            articles.c.published_at > now - WINDOW,
            articles.c.published_at <= now,
            articles.c.feed_id.in_(list(feed_ids)),
        )
    )
    async with db.connection() as conn:
        return [(a, c) for a, c in await conn.execute(query)]


def _story_item(story: StoryView, text: LocalText, scores: dict[int, float]) -> StoryItem:
    found = [scores[i] for i in story.article_ids if i in scores]
    mean = sum(found) / len(found) if found else None
    return StoryItem(
        title=text.title,
        summary=text.summary,
        link=text.link,
        sources=tuple(story.sources),
        languages=tuple(story.languages),
        coins=tuple(story.coins),
        score=mean,
        label=lean(mean, _STORY_LEAN),
        shown=text.shown,
        origin=text.language,
    )


# Stories use the /news badge threshold so a story reads the same in both places.
_STORY_LEAN = 0.15


async def compose_digest(
    db: Database,
    *,
    feed_ids: Collection[int],
    language: Language,
    now: datetime,
    signal: SignalReport | None,
    zone: ZoneInfo | None = None,
    translate: bool = True,
) -> Digest:
    """The digest of the articles of `feed_ids` for `language` as of `now` (the header date
    is `now`'s date in `zone`). Stories, coins and mood come from those feeds only.

    Stories in `language` come first, then major English ones. An English digest also takes
    Dutch stories already translated into English when `translate` (the server's switch) is
    on; untranslated Dutch stories stay out of it, as before translation existed. Each
    story's text is what a reader of `language` sees (bot.compose.localize)."""

    async def ranked(lang: str) -> list[StoryView]:
        return await top_stories(db, now=now, language=lang, limit=STORIES * 2, feed_ids=feed_ids)

    if language == "en":
        dutch = await ranked("nl") if translate else []
        found = await stored_translations(db, dutch, "en")
        readable = [s for s in dutch if localize(s, "en", found, translate=True).translated]
        # Translated Dutch stories only fill what English ones leave: no reserved slots.
        stories = pick_stories(await ranked("en"), readable, reserve=0)
    else:
        stories = pick_stories(await ranked(language), await ranked("en"))
    texts = await localize_stories(db, stories, language, translate=translate, now=now)
    scored = await load_scored(db, since=now - 2 * WINDOW, until=now, feed_ids=feed_ids)
    summary = summarize(scored, period="24h", now=now)
    by_id = {s.article_id: s.score for s in scored}
    story_ids = [i for s in stories for i in s.article_ids if i not in by_id]
    if story_ids:  # older articles of a story may fall outside the 48-hour load
        extra = await sentiment_for_articles(db, story_ids)
        by_id.update({i: s.score for i, s in extra.items()})
    mentions = await coin_mentions(db, now=now, feed_ids=feed_ids)
    day = now.astimezone(zone).date() if zone else now.date()
    return Digest(
        language=language,
        day=day,
        generated_at=now,
        mood=mood_from_summary(summary),
        stories=tuple(_story_item(s, t, by_id) for s, t in zip(stories, texts, strict=True)),
        coins=tuple(coin_moods(mentions, by_id)),
        macro=macro_from_report(signal) if signal else None,
    )


class DigestComposer:
    """The engine's `compose` callable, (feed set, language, now) -> digest: one signal report
    per tick, shared by every feed set and language.

    `signal` builds the report (e.g. `bot.market.report.build_signal_report`); a failure there
    leaves the macro section out rather than the whole digest.
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        signal: SignalSource | None = None,
        signal_ttl: timedelta = timedelta(minutes=10),
    ) -> None:
        self._db = db
        self._zone = ZoneInfo(settings.default_timezone)
        self._signal = signal or self._default_signal(settings)
        self._ttl = signal_ttl
        self._cached: tuple[datetime, SignalReport | None] | None = None
        # Feed sets compose concurrently in a tick: the first builds the report, the rest wait.
        self._signal_lock = asyncio.Lock()

    def _default_signal(self, settings: Settings) -> SignalSource:
        async def build(now: datetime) -> SignalReport | None:
            from bot.market.report import build_signal_report

            return await build_signal_report(self._db, settings, now=now)

        return build

    async def signal_report(self, now: datetime) -> SignalReport | None:
        async with self._signal_lock:
            if self._cached and abs(now - self._cached[0]) < self._ttl:
                return self._cached[1]
            try:
                report = await self._signal(now)
            except Exception:
                log.exception("digest: the signal report failed; leaving out the macro section")
                report = None
            self._cached = (now, report)
            return report

    async def __call__(
        self, feed_ids: Collection[int], language: Language, now: datetime, translate: bool = True
    ) -> Digest:
        return await compose_digest(
            self._db,
            feed_ids=feed_ids,
            language=language,
            now=now,
            signal=await self.signal_report(now),
            zone=self._zone,
            translate=translate,
        )
