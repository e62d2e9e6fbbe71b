"""What a reader of one language sees of a story: an original in their language, a machine
translation marked as such, or the original with its language marked.

One rule for every place a server reads stories (/news, digests, `/digest preview`, live
posts): `localize_stories` reads the stored translations (the pipeline made them ahead of
time; nothing is translated here) and `localize` picks the text, as a pure function.

- A report in the reader's language wins, untranslated (a cross-language story with a Dutch
  article shows that article to Dutch readers).
- Else, when the server translates, the first report with an 'ok' translation into the
  reader's language, labelled "machine-translated from <its language>", linking to the
  original article.
- Else the first report as written, its language marked: "not yet translated" while the
  pipeline is translating into the reader's language (it stored one lately), plainly "in
  English" when no model runs (the offline default), translation is off for the server, or
  the translation was refused (a 'fallback' row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.labels import Shown
from bot.news.query import ArticleText, StoryView
from bot.storage import Database
from bot.translate.store import Translation, translations_for
from bot.translate.tables import article_translations

# A model that stored a good translation this recently counts as running.
TRANSLATION_RECENT = timedelta(days=2)


@dataclass(frozen=True)
class LocalText:
    """A story's title, summary and link as one reader sees them."""

    title: str
    summary: str
    link: str  # always the original article
    language: str  # the language its outlet wrote it in
    shown: Shown  # native | translated | pending | original (bot.labels.origin_label)

    @property
    def translated(self) -> bool:
        return self.shown == "translated"


def primary(language: str) -> str:
    """'nl-BE' -> 'nl': stored languages and reader languages compare on the primary subtag."""
    return language.replace("_", "-").split("-")[0].lower()


def _texts(story: StoryView, reader: str) -> tuple[ArticleText, ...]:
    if story.texts:
        return story.texts
    # A view built without its reports (older callers, hand-made tests): its own fields.
    language = story.languages[0] if len(story.languages) == 1 else reader
    first = story.article_ids[0] if story.article_ids else 0
    return (ArticleText(first, language, story.title, story.summary, story.link),)


def _summary(lead: ArticleText, texts: Sequence[ArticleText]) -> str:
    """The lead's summary, else the first one in the same language (never a mix)."""
    if lead.summary:
        return lead.summary
    same = (t.summary for t in texts if t.summary and primary(t.language) == primary(lead.language))
    return next(same, "")


def localize(
    story: StoryView,
    reader: str,
    translations: Mapping[int, Translation],
    *,
    translate: bool,
    running: bool = True,
) -> LocalText:
    """The text of `story` for a reader of `reader`; `translations` maps article id to its
    stored translation into `reader` (`translations_for`); `translate` is the server's switch;
    `running` whether the pipeline translates into `reader` (else nothing is "pending")."""
    reader = primary(reader)
    texts = _texts(story, reader)
    native = [t for t in texts if primary(t.language) == reader]
    if native:
        lead = native[0]
        return LocalText(lead.title, _summary(lead, native), lead.link, lead.language, "native")
    if translate:
        for text in texts:
            found = translations.get(text.article_id)
            if found and found.status == "ok" and primary(found.target_lang) == reader:
                source = found.source_lang or text.language
                return LocalText(found.title, found.summary, text.link, source, "translated")
    lead = texts[0]
    waiting = translate and running and lead.article_id not in translations
    return LocalText(
        lead.title,
        _summary(lead, texts),
        lead.link,
        lead.language,
        "pending" if waiting else "original",
    )


async def stored_translations(
    db: Database, stories: Sequence[StoryView], reader: str
) -> dict[int, Translation]:
    """The stored translations into `reader` of every report of `stories` (one query)."""
    ids = [t.article_id for s in stories for t in _texts(s, reader)]
    return await translations_for(db, ids, primary(reader)) if ids else {}


async def translating_into(db: Database, reader: str, *, now: datetime | None = None) -> bool:
    """Whether the pipeline stored a good translation into `reader` lately: a model runs.

    Read from the store because the pipeline may run in another process."""
    since = (now or datetime.now(UTC)) - TRANSLATION_RECENT
    t = article_translations.c
    query = sa.select(t.article_id).where(
        t.target_lang == primary(reader), t.status == "ok", t.translated_at >= since
    )
    async with db.connection() as conn:
        return (await conn.execute(query.limit(1))).first() is not None


async def localize_stories(
    db: Database,
    stories: Sequence[StoryView],
    reader: str,
    *,
    translate: bool,
    now: datetime | None = None,
) -> list[LocalText]:
    """Each story's text for a reader of `reader`, in order: the one function every place
    that shows stories calls (/news, digests, live posts). `translate` is the server's
    switch; `now` dates the "is a model running" check (default: the clock)."""
    if not translate:
        return [localize(s, reader, {}, translate=False) for s in stories]
    found = await stored_translations(db, stories, reader)
    running = await translating_into(db, reader, now=now)
    return [localize(s, reader, found, translate=True, running=running) for s in stories]
