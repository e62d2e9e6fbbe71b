"""Live posts use the same localisation as /news: a stored translation for the reader's
language, labelled; the server's switch off shows the original with its language marked."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.compose.live import language_note, live_stories
from bot.live.candidates import read_window
from bot.storage import Database
from bot.translate.store import Translation, save_translations
from tests.compose.seed import seed_tenants

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
ETH = "Ethereum upgrade delayed by a week"


async def test_live_story_is_translated_for_a_dutch_reader_unless_switched_off(
    db: Database,
) -> None:
    tenants = await seed_tenants(db, NOW)
    window = await read_window(db, now=NOW, max_age=NOW - datetime(2026, 11, 29, tzinfo=UTC))
    [eth] = [c for c in window.candidates(tenants.defaults, None) if c.view.title == ETH]
    row = Translation(eth.lead_article_id, "nl", "en", "m", "Ethereum-upgrade uitgesteld", "", "ok")
    await save_translations(db, [row], now=NOW)

    [dutch] = await live_stories(db, [eth], "nl")
    assert dutch.title == "Ethereum-upgrade uitgesteld" and dutch.translated
    assert dutch.language == "en" and dutch.link == eth.view.link  # the original's link
    assert language_note(dutch, "nl") == "Machine-translated from English"

    [off] = await live_stories(db, [eth], "nl", translate=False)
    assert off.title == ETH and not off.translated
    assert language_note(off, "nl") == "In English"  # the note, in the current locale

    [english] = await live_stories(db, [eth], "en")
    assert english.title == ETH and language_note(english, "en") is None
