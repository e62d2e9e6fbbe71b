"""What one live post shows: a story as a reader of one language sees it.

`live_stories` is the ONE place a stored story becomes the text a channel gets: the embed, the
"N more stories" list and `python -m bot live` all render LiveStory values built here. The
localisation of title and summary (a stored translation when there is one, labelled; else the
original with its language marked) plugs in here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.compose.localize import localize_stories
from bot.compose.news import story_mood
from bot.i18n import N_, Language, _, fmt_datetime, ngettext
from bot.labels import badge, label_name
from bot.live.candidates import LiveCandidate
from bot.sentiment.store import sentiment_for_articles
from bot.sentiment.types import Label
from bot.storage import Database


@dataclass(frozen=True, slots=True)
class LiveStory:
    lead_article_id: int
    story_id: int
    title: str
    summary: str
    link: str
    sources: tuple[str, ...]
    coins: tuple[str, ...]
    label: Label | None  # the story's combined sentiment; None while unscored
    published_at: datetime
    language: str  # the language `title` and `summary` are in
    translated: bool = False  # True when they are a machine translation into the reader's


async def live_stories(
    db: Database,
    candidates: Sequence[LiveCandidate],
    reader: Language,
    *,
    translate: bool = True,
) -> list[LiveStory]:
    """The stories as `reader` sees them, in the order given (a few queries for all): the
    same localisation as /news and digests (bot/compose/localize.py); `translate` is the
    server's switch."""
    ids = [i for c in candidates for i in c.view.article_ids]
    scores = await sentiment_for_articles(db, ids) if ids else {}
    texts = await localize_stories(db, [c.view for c in candidates], reader, translate=translate)
    out = []
    for c, text in zip(candidates, texts, strict=True):
        view = c.view
        mood = story_mood([scores[i] for i in view.article_ids if i in scores])
        out.append(
            LiveStory(
                lead_article_id=c.lead_article_id,
                story_id=view.story_id,
                title=text.title,
                summary=text.summary,
                link=text.link,
                sources=tuple(view.sources),
                coins=tuple(view.coins),
                label=mood.label if mood else None,
                published_at=view.published_at,
                language=text.language,
                translated=text.translated,
            )
        )
    return out


MORE_LISTED = 15  # stories named in an overflow post; the rest are counted
LANGUAGE_NAMES = {"en": N_("English"), "nl": N_("Dutch")}


def language_note(story: LiveStory, reader: Language) -> str | None:
    """Says when the text is a machine translation, or in another language than the reader's."""
    name = _(LANGUAGE_NAMES[story.language]) if story.language in LANGUAGE_NAMES else story.language
    if story.translated:
        return _("Machine-translated from %(language)s") % {"language": name}
    if story.language != reader:
        return _("In %(language)s") % {"language": name}
    return None


def more_title(count: int) -> str:
    return ngettext("%(n)d more new story", "%(n)d more new stories", count) % {"n": count}


def live_text(story: LiveStory, reader: Language) -> str:
    """One story as plain text (the CLI), the same parts as the embed."""
    lines = [f"{badge(story.label)} {story.title}"]
    if story.summary:
        lines.append(story.summary)
    lines.append(_("Sources: %(sources)s") % {"sources": ", ".join(story.sources)})
    if story.coins:
        lines.append(_("Coins: %(coins)s") % {"coins": " ".join(story.coins)})
    if story.label:
        lines.append(_("Sentiment: %(label)s") % {"label": label_name(story.label)})
    if note := language_note(story, reader):
        lines.append(note)
    lines.append(f"{story.link} · {fmt_datetime(story.published_at)}")
    return "\n".join(lines)
