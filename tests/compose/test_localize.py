"""What a reader of a language sees of a story: the pure rule, then /news and digests read
against translations written with `save_translations` (no model, no torch)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.compose.about import translation_status
from bot.compose.digest import compose_digest
from bot.compose.localize import localize, localize_stories
from bot.compose.news import news_brief
from bot.compose.reads import Reads
from bot.digest.text import render_digest_text
from bot.news.feeds import FeedSpec, sync_feeds
from bot.news.query import ArticleText, StoryView
from bot.news.tables import articles, stories
from bot.storage import Database
from bot.translate.state import TranslationState, record_translation_state
from bot.translate.store import Translation, save_translations
from bot.utils.cache import ReadCache

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
EN_TITLE = "Bitcoin hits record as ETF inflows grow"
NL_TITLE = "Bitcoin bereikt record door ETF-instroom"
NL_ONLY = "DNB waarschuwt voor cryptoleningen"
BOTH_EN = "Ethereum upgrade delayed by a week"
BOTH_NL = "Ethereum-upgrade een week uitgesteld"


def view(*texts: ArticleText) -> StoryView:
    return StoryView(
        story_id=1,
        title=texts[0].title,
        summary=texts[0].summary,
        link=texts[0].link,
        sources=[f"s{t.article_id}" for t in texts],
        languages=sorted({t.language for t in texts}),
        coins=[],
        published_at=NOW,
        article_ids=[t.article_id for t in texts],
        texts=texts,
    )


EN = ArticleText(1, "en", "Bitcoin rallies", "Traders pile in.", "https://en.example/1")
NL = ArticleText(2, "nl", "Bitcoin stijgt", "Handelaren stappen in.", "https://nl.example/2")


def tr(article_id: int, title: str, status: str = "ok", target: str = "nl") -> Translation:
    source = "nl" if target == "en" else "en"
    return Translation(article_id, target, source, "m", title, title + ".", status)  # type: ignore[arg-type]


def test_an_original_in_the_readers_language_wins_untranslated() -> None:
    story = view(EN, NL)  # the English report came first
    shown = localize(story, "nl", {1: tr(1, "Bitcoin klimt")}, translate=True)
    assert (shown.title, shown.link, shown.shown) == (NL.title, NL.link, "native")
    assert localize(story, "en", {}, translate=True).title == EN.title


def test_a_translation_is_marked_and_keeps_the_original_link() -> None:
    shown = localize(view(EN), "nl", {1: tr(1, "Bitcoin klimt")}, translate=True)
    assert shown.title == "Bitcoin klimt" and shown.summary == "Bitcoin klimt."
    assert shown.shown == "translated" and shown.language == "en"
    assert shown.link == EN.link


def test_untranslated_refused_and_switched_off_show_the_original() -> None:
    story = view(EN)
    assert localize(story, "nl", {}, translate=True).shown == "pending"
    assert localize(story, "nl", {}, translate=True, running=False).shown == "original"
    refused = localize(story, "nl", {1: tr(1, EN.title, "fallback")}, translate=True)
    assert (refused.title, refused.shown) == (EN.title, "original")
    off = localize(story, "nl", {1: tr(1, "Bitcoin klimt")}, translate=False)
    assert (off.title, off.summary, off.shown, off.language) == (
        EN.title,
        EN.summary,
        "original",
        "en",
    )


def test_the_first_translated_report_is_used_when_the_lead_is_not_yet() -> None:
    later = ArticleText(3, "en", "BTC up", "", "https://en.example/3")
    shown = localize(view(EN, later), "nl", {3: tr(3, "BTC omhoog")}, translate=True)
    assert (shown.title, shown.link) == ("BTC omhoog", later.link)


async def seed(db: Database, now: datetime = NOW) -> dict[str, int]:
    """Three stories of the last hours: English only, Dutch only, and one in both."""
    feeds = await sync_feeds(
        db,
        [
            FeedSpec("Wire", "https://wire.example/rss", "en"),
            FeedSpec("NL", "https://nl.ex/rss", "nl"),
        ],
        now=now,
    )
    feed = {f.language: f.id for f in feeds}
    rows = [  # (story key, title, language, hours ago)
        ("record", EN_TITLE, "en", 1),
        ("dnb", NL_ONLY, "nl", 2),
        ("eth", BOTH_EN, "en", 3),
        ("eth", BOTH_NL, "nl", 2.5),
    ]
    ids: dict[str, int] = {}
    story_ids: dict[str, int] = {}
    async with db.begin() as conn:
        for n, (key, title, lang, hours) in enumerate(rows):
            if key not in story_ids:
                story_ids[key] = (
                    await conn.execute(
                        sa.insert(stories).values(
                            title=title,
                            language=lang,
                            signature=key,
                            first_seen_at=now,
                            last_seen_at=now,
                        )
                    )
                ).inserted_primary_key[0]
            when = now - timedelta(hours=hours)
            ids[title] = (
                await conn.execute(
                    sa.insert(articles).values(
                        feed_id=feed[lang],
                        story_id=story_ids[key],
                        guid=f"g{n}",
                        link=f"https://{lang}.example/{n}",
                        title=title,
                        summary=f"Summary of {title}",
                        language=lang,
                        source=f"Outlet {n}",
                        published_at=when,
                        fetched_at=when,
                    )
                )
            ).inserted_primary_key[0]
    return ids


async def translate_all(db: Database, ids: dict[str, int], now: datetime = NOW) -> None:
    await save_translations(
        db,
        [
            Translation(ids[EN_TITLE], "nl", "en", "m-en-nl", NL_TITLE, "Samenvatting.", "ok"),
            Translation(ids[BOTH_EN], "nl", "en", "m-en-nl", "Fout", "Fout.", "ok"),
            Translation(ids[NL_ONLY], "en", "nl", "m-nl-en", "DNB warns on crypto loans", "", "ok"),
        ],
        now=now,
    )


async def test_news_for_each_reader_and_switch(db: Database) -> None:
    ids = await seed(db)
    await translate_all(db, ids)
    feeds = (1, 2)

    async def titles(reader: str, translate: bool) -> dict[str, tuple[str, str]]:
        brief = await news_brief(
            db, now=NOW, feed_ids=feeds, reader=reader, translate=translate, limit=10
        )
        return {i.story.title: (i.text.title, i.text.shown) for i in brief.items}

    nl = await titles("nl", True)
    assert nl[EN_TITLE] == (NL_TITLE, "translated")
    assert nl[NL_ONLY] == (NL_ONLY, "native")
    assert nl[BOTH_EN] == (BOTH_NL, "native")  # the Dutch original, not the translation
    en = await titles("en", True)
    assert en[NL_ONLY] == ("DNB warns on crypto loans", "translated")
    assert en[BOTH_EN] == (BOTH_EN, "native")
    off = await titles("nl", False)
    assert off[EN_TITLE] == (EN_TITLE, "original")
    assert off[BOTH_EN] == (BOTH_NL, "native")


async def test_digest_shows_translations_with_label_and_link(db: Database) -> None:
    ids = await seed(db)
    await translate_all(db, ids)
    zone = ZoneInfo("Europe/Amsterdam")
    nl = await compose_digest(db, feed_ids=(1, 2), language="nl", now=NOW, signal=None, zone=zone)
    by_title = {s.title: s for s in nl.stories}
    record = by_title[NL_TITLE]
    assert (record.shown, record.origin) == ("translated", "en")
    assert record.link.startswith("https://en.example/")  # the original article
    assert by_title[BOTH_NL].shown == "native"
    text = render_digest_text(nl)
    assert "Automatisch vertaald uit het Engels" in text and EN_TITLE not in text

    # An English digest takes the Dutch-only story, translated, once translation is on.
    en = await compose_digest(db, feed_ids=(1, 2), language="en", now=NOW, signal=None, zone=zone)
    assert "DNB warns on crypto loans" in {s.title for s in en.stories}
    assert "Machine-translated from Dutch" in render_digest_text(en)
    en_off = await compose_digest(
        db, feed_ids=(1, 2), language="en", now=NOW, signal=None, zone=zone, translate=False
    )
    assert {s.title for s in en_off.stories} == {EN_TITLE, BOTH_EN}

    off = await compose_digest(
        db, feed_ids=(1, 2), language="nl", now=NOW, signal=None, zone=zone, translate=False
    )
    record_off = next(s for s in off.stories if s.title == EN_TITLE)
    assert record_off.shown == "original"
    assert "Engelstalig" in render_digest_text(off)


async def test_untranslated_is_marked_and_pending_only_while_a_model_runs(db: Database) -> None:
    ids = await seed(db)
    zone = ZoneInfo("UTC")

    async def record_story() -> tuple[str, str]:
        brief = await news_brief(db, now=NOW, feed_ids=(1, 2), reader="nl", limit=10)
        shown = next(i.text for i in brief.items if i.story.title == EN_TITLE)
        return shown.title, shown.shown

    async def dutch_digest() -> str:
        digest = await compose_digest(
            db, feed_ids=(1, 2), language="nl", now=NOW, signal=None, zone=zone
        )
        return render_digest_text(digest)

    # No model ever translated into Dutch (the offline default): the language, nothing more.
    assert await record_story() == (EN_TITLE, "original")
    text = await dutch_digest()
    assert "🌐 Engelstalig\n" in text and "nog niet vertaald" not in text
    # While a model translates into Dutch, a story it has not reached yet says so.
    other = Translation(ids[BOTH_EN], "nl", "en", "m-en-nl", "Vertaald", "", "ok")
    await save_translations(db, [other], now=NOW - timedelta(hours=1))
    assert await record_story() == (EN_TITLE, "pending")
    assert "Engelstalig, nog niet vertaald" in await dutch_digest()
    # An English digest takes only Dutch stories it can show in English: none yet.
    en = await compose_digest(db, feed_ids=(1, 2), language="en", now=NOW, signal=None, zone=zone)
    assert {s.title for s in en.stories} == {EN_TITLE, BOTH_EN}


async def test_cache_keys_carry_reader_and_switch(db: Database) -> None:
    ids = await seed(db)
    await translate_all(db, ids)
    reads = Reads(db, ReadCache())
    ask = {"now": NOW, "hours": 24, "coin": None, "language": None}
    nl = await reads.news(None, **ask, reader="nl", translate=True)  # type: ignore[arg-type]
    en = await reads.news(None, **ask, reader="en", translate=True)  # type: ignore[arg-type]
    off = await reads.news(None, **ask, reader="nl", translate=False)  # type: ignore[arg-type]
    assert len({id(nl), id(en), id(off)}) == 3
    assert NL_TITLE in {i.text.title for i in nl.items}
    assert NL_TITLE not in {i.text.title for i in off.items}


async def test_localize_stories_reads_one_language(db: Database) -> None:
    ids = await seed(db)
    await translate_all(db, ids)
    brief = await news_brief(db, now=NOW, feed_ids=(1, 2), reader="en", limit=10)
    texts = await localize_stories(db, [i.story for i in brief.items], "nl", translate=True)
    assert NL_TITLE in {t.title for t in texts}


async def test_translation_status_is_what_the_pipeline_last_recorded(db: Database) -> None:
    assert not (await translation_status(db)).on  # no pass yet: off
    models = {"nl": "m-en-nl", "en": "m-nl-en"}
    await record_translation_state(db, TranslationState("auto", True, models))
    status = await translation_status(db)
    assert status.on and status.models == ("m-en-nl", "m-nl-en")
    off = TranslationState("auto", False, off={"nl": "model not downloaded"})
    await record_translation_state(db, off)
    assert not (await translation_status(db)).on
