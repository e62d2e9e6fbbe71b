"""Machine translations as servers read them, end to end through the fake Discord.

The pipeline's translator is another module's job: here the rows it would store are written
with `save_translations` (no model), then the real bot answers /news, /digest preview,
/about and /language translate.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.digest.schedule import next_run
from bot.news.tables import articles
from bot.translate.state import TranslationState, record_translation_state
from bot.translate.store import Translation, save_translations
from tests.discord.conftest import EN_CHANNEL, EN_GUILD, NL_CHANNEL, NL_GUILD, Running
from tests.discord.test_commands import ask, embed_text
from tests.discord.test_digest import AMS, advance_clock, next_full_hour, subscribe
from tests.harness import ADMIN, ALICE


@pytest.fixture
def bot_overrides() -> dict[str, object]:
    return {"digest_tick_seconds": 0.2}


SOL_NL = "Solana-netwerk ligt opnieuw stil terwijl validators herstarten"
HACK_NL = "@everyone Ethereum-beurs gehackt, 50 miljoen dollar buitgemaakt"
XRP_EN = "XRP price falls after the court's ruling"
BTC_MT = "Bitcoin stijgt voorbij 100.000 dollar (machinevertaling)"


async def article_ids(running: Running) -> dict[str, int]:
    """Stored article ids by link path ('sol-outage', 'xrp-daalt', ...)."""
    async with running.services.db.connection() as conn:
        rows = await conn.execute(sa.select(articles.c.id, articles.c.link))
        return {r.link.rsplit("/", 1)[1]: r.id for r in rows}


async def store_translations(running: Running, *, record: bool = False) -> dict[str, int]:
    """The rows the pipeline would store; `record` adds the English record story's."""
    ids = await article_ids(running)
    rows = [
        Translation(ids["sol-outage"], "nl", "en", "opus-mt-en-nl", SOL_NL, "Geen blokken.", "ok"),
        Translation(ids["eth-hack"], "nl", "en", "opus-mt-en-nl", HACK_NL, "", "ok"),
        Translation(ids["xrp-daalt"], "en", "nl", "opus-mt-nl-en", XRP_EN, "It fell.", "ok"),
    ]
    if record:
        rows.append(Translation(ids["btc-100k"], "nl", "en", "opus-mt-en-nl", BTC_MT, "", "ok"))
    await save_translations(running.services.db, rows, now=datetime.now(UTC))
    models = {"nl": "opus-mt-en-nl", "en": "opus-mt-nl-en"}
    await record_translation_state(running.services.db, TranslationState("auto", True, models))
    running.services.reads.invalidate()  # as the pipeline does after a pass
    return ids


def field_of(embed: dict, title_part: str) -> dict:  # type: ignore[type-arg]
    found = [f for f in embed["fields"] if title_part in f["name"]]
    assert found, (title_part, [f["name"] for f in embed["fields"]])
    return found[0]


async def test_a_dutch_server_reads_english_stories_translated_and_labelled(
    running: Running,
) -> None:
    await store_translations(running)
    reply = await ask(running, NL_GUILD, "news")
    embed = reply.embeds[0]
    sol = field_of(embed, "Solana")
    assert SOL_NL in sol["name"] and "stalls again" not in sol["name"]
    assert "Automatisch vertaald uit het Engels" in sol["value"]
    assert "(https://en.example/sol-outage)" in sol["value"]  # the original stays linked
    # Feed text in a translated title is still only text: nobody is pinged.
    assert "@everyone Ethereum-beurs gehackt" in embed_text(embed)
    assert reply.pings.nobody
    # A story not yet translated shows its original with its language marked.
    # (Which of the two untranslated English Bitcoin stories makes the top five varies.)
    pending = [f for f in embed["fields"] if "Engelstalig, nog niet vertaald" in f["value"]]
    assert pending and all(f["name"].startswith("🟢 Bitcoin ") for f in pending)


async def test_an_english_server_reads_dutch_stories_translated(running: Running) -> None:
    await store_translations(running)
    embed = (await ask(running, EN_GUILD, "news")).embeds[0]
    xrp = field_of(embed, "XRP")
    assert XRP_EN in xrp["name"] and "Machine-translated from Dutch" in xrp["value"]
    assert "(https://nl.example/xrp-daalt)" in xrp["value"]
    text = embed_text(embed)
    assert SOL_NL not in text and "Solana network stalls again" in text  # no label on these
    assert "Machine-translated from English" not in text


async def test_a_dutch_original_wins_over_a_translation(running: Running) -> None:
    ids = await store_translations(running, record=True)
    # The pipeline clustered the English and Dutch reports of the record into one story.
    async with running.services.db.begin() as conn:
        lead = await conn.scalar(
            sa.select(articles.c.story_id).where(articles.c.id == ids["btc-100k"])
        )
        await conn.execute(
            sa.update(articles).where(articles.c.id == ids["bitcoin-record"]).values(story_id=lead)
        )
    running.services.reads.invalidate()
    embed = (await ask(running, NL_GUILD, "news")).embeds[0]
    text = embed_text(embed)
    assert BTC_MT not in text
    record = field_of(embed, "Bitcoin stijgt naar recordhoogte")
    assert (
        "vertaald" not in record["value"]
        and "(https://nl.example/bitcoin-record)" in (record["value"])
    )


async def test_translation_switch_needs_manage_server_and_shows_originals(
    running: Running,
) -> None:
    await store_translations(running)
    refused = await ask(running, NL_GUILD, "language translate", {"state": "off"}, user=ALICE)
    assert refused.ephemeral and "Server beheren" in refused.content
    assert SOL_NL in embed_text((await ask(running, NL_GUILD, "news")).embeds[0])  # unchanged
    # /about's embed is kept per answer: the switch must still change what it says.
    before = embed_text((await ask(running, NL_GUILD, "about")).embeds[0])
    assert "Uit op deze server" not in before and "opus-mt-en-nl" in before

    done = await ask(running, NL_GUILD, "language translate", {"state": "off"}, user=ADMIN)
    assert done.content.startswith("Gelukt:") and "zoals ze geschreven zijn" in done.content
    embed = (await ask(running, NL_GUILD, "news")).embeds[0]
    sol = field_of(embed, "Solana")
    assert "Solana network stalls again" in sol["name"] and "Engelstalig" in sol["value"]
    assert "vertaald" not in sol["value"]
    shown = await ask(running, NL_GUILD, "language show")
    assert "vertalen staat uit" in shown.content
    about = embed_text((await ask(running, NL_GUILD, "about")).embeds[0])
    assert "Uit op deze server" in about and "opus-mt-en-nl" in about
    # The other server is not affected.
    assert XRP_EN in embed_text((await ask(running, EN_GUILD, "news")).embeds[0])

    back = await ask(running, NL_GUILD, "language translate", {"state": "on"}, user=ADMIN)
    assert "automatisch vertaald" in back.content
    assert SOL_NL in embed_text((await ask(running, NL_GUILD, "news")).embeds[0])


async def test_digest_preview_shows_translations(running: Running) -> None:
    await store_translations(running)
    reply = await ask(running, NL_GUILD, "digest preview", user=ALICE)
    text = embed_text(reply.embeds[0])
    assert SOL_NL in text and "Automatisch vertaald uit het Engels" in text
    assert "(https://en.example/sol-outage)" in text


async def test_about_says_translation_is_off_without_a_model(running: Running) -> None:
    nl = embed_text((await ask(running, NL_GUILD, "about")).embeds[0])
    assert "geen vertaalmodel beschikbaar" in nl
    await store_translations(running)
    en = embed_text((await ask(running, EN_GUILD, "about")).embeds[0])
    assert "English ↔ Dutch, on: opus-mt-en-nl, opus-mt-nl-en" in en


async def test_posted_digests_follow_each_servers_switch(running: Running) -> None:
    await store_translations(running)
    await ask(running, EN_GUILD, "language translate", {"state": "off"}, user=ADMIN)
    at = next_full_hour()  # the feed's stories still fresh then (tests/discord/test_digest.py)
    slot = at.strftime("%H:%M")
    await subscribe(running, NL_GUILD, NL_CHANNEL, time=slot)
    await subscribe(running, EN_GUILD, EN_CHANNEL, time=slot, timezone="Europe/Amsterdam")
    advance_clock(running, next_run(at, AMS, datetime.now(UTC)) + timedelta(minutes=1))
    nl = await running.fake.wait_for_message(NL_CHANNEL, timeout=10, source="channel")
    en = await running.fake.wait_for_message(EN_CHANNEL, timeout=10, source="channel")
    nl_text, en_text = embed_text(nl.embeds[0]), embed_text(en.embeds[0])
    assert SOL_NL in nl_text and "Automatisch vertaald uit het Engels" in nl_text
    assert "@everyone Ethereum-beurs gehackt" in nl_text and nl.pings.nobody
    # Translation off: English originals only, no Dutch story, translated or not.
    assert "Solana network stalls again" in en_text
    assert XRP_EN not in en_text and "XRP koers" not in en_text and "translated" not in en_text
