"""Every command end to end, in Dutch and English, through the fake Discord."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.i18n import fmt_date, use_language
from bot.market.refresh import MarketRefresher
from bot.market.series import RUT
from bot.market.store import load_series
from bot.storage import Database
from bot.utils.cache import STALE_SECONDS
from bot.utils.http.client import make_http_client
from tests.discord.conftest import (
    EN_CHANNEL,
    EN_GUILD,
    NL_CHANNEL,
    NL_GUILD,
    Running,
)
from tests.harness import ALICE
from tests.market.fakes import AFTER_CLOSE, market_settings, serve_markets


def embed_text(embed: dict[str, Any]) -> str:
    parts = [embed.get("title", ""), embed.get("description", "")]
    for field in embed.get("fields", []):
        parts += [field["name"], field["value"]]
    parts.append(embed.get("footer", {}).get("text", ""))
    return "\n".join(p for p in parts if p)


async def test_news_in_dutch_and_english(running: Running) -> None:
    fake = running.fake
    nl = await fake.slash(NL_GUILD, NL_CHANNEL, ALICE, "news", locale="nl")
    en = await fake.slash(EN_GUILD, EN_CHANNEL, ALICE, "news", locale="en-US")
    nl_reply, en_reply = await nl.wait_final(), await en.wait_final()
    assert nl.missed_deadline is False and en.missed_deadline is False
    nl_text, en_text = embed_text(nl_reply.embeds[0]), embed_text(en_reply.embeds[0])
    assert "Belangrijkste cryptonieuws" in nl_text
    assert "Top crypto news" in en_text
    assert "Bitcoin stijgt naar recordhoogte" in nl_text  # Dutch source in the list
    assert "Ethereum exchange hacked" in en_text
    # Badges come from the stored sentiment: the hack is bearish, the record bullish.
    assert "🔴 @everyone Ethereum exchange hacked" in en_text
    assert nl_reply.pings.nobody and en_reply.pings.nobody


async def ask(
    running: Running,
    guild: int,
    name: str,
    options: dict[str, Any] | None = None,
    user: Any = ALICE,
) -> Any:
    channel = NL_CHANNEL if guild == NL_GUILD else EN_CHANNEL
    locale = "nl" if guild == NL_GUILD else "en-US"
    handle = await running.fake.slash(guild, channel, user, name, options or {}, locale=locale)
    reply = await handle.wait_final()
    assert not handle.missed_deadline
    assert reply.pings.nobody
    return reply


async def test_long_headline_is_clipped_not_refused(running: Running) -> None:
    reply = await ask(running, EN_GUILD, "news", {"hours": 24})
    names = [f["name"] for f in reply.embeds[0]["fields"]]
    long = [n for n in names if "record after record" in n]
    assert long and len(long[0]) <= 256 and long[0].endswith("…")


async def test_coin_filter_autocomplete_and_unknown_coin(running: Running) -> None:
    fake = running.fake
    handle = await fake.autocomplete(
        NL_GUILD, NL_CHANNEL, ALICE, "news", {"coin": "bt"}, focused="coin"
    )
    await handle.wait_response()
    assert handle.choices[0]["value"] == "BTC"
    reply = await ask(running, NL_GUILD, "news", {"coin": "XRP"})
    text = embed_text(reply.embeds[0])
    assert "Nieuws over XRP" in text and "XRP koers daalt" in text
    assert "Bitcoin" not in text.split("\n", 1)[1]
    refused = await ask(running, NL_GUILD, "news", {"coin": "DOGGO"})
    assert refused.ephemeral and "De munt DOGGO ken ik niet" in refused.content


async def test_sentiment_reports_basis_in_both_languages(running: Running) -> None:
    nl = embed_text((await ask(running, NL_GUILD, "sentiment", {"period": "7d"})).embeds[0])
    en = embed_text((await ask(running, EN_GUILD, "sentiment")).embeds[0])
    assert "afgelopen 7 dagen" in nl and "Geen financieel advies" in nl
    assert "offline woordenlijst" in nl  # says plainly that no model is loaded
    assert "Articles: 6" in en and "no sentiment model loaded" in en


async def test_signal_embed_with_chart(running: Running) -> None:
    for guild, title, honesty in (
        (NL_GUILD, "Uitbraaksignaal Russell 2000", "Steekproef: 2 afgeronde gevallen"),
        (EN_GUILD, "Russell 2000 breakout signal", "Sample size: 2 completed cases"),
    ):
        reply = await ask(running, guild, "signal")
        embed = reply.embeds[0]
        assert embed["title"] == title
        assert honesty in embed["footer"]["text"]
        assert embed["image"]["url"] == "attachment://russell2000.png"
        assert reply.files[0].data.startswith(b"\x89PNG")


async def test_signal_shows_a_market_refresh_in_another_process_at_once(
    running: Running, tmp_path: Path
) -> None:
    """/signal is served from memory per data version; the refresh's bump ends it."""
    watch = running.services.data_watch
    async with asyncio.timeout(5):
        seen = await watch.changed(after=-1)  # the watcher's first read
    before = (await ask(running, EN_GUILD, "signal")).embeds[0]["description"]
    async with serve_markets() as markets:
        settings = market_settings(tmp_path, markets)  # the bot's database
        pipeline = Database.connect(settings.resolved_database_url)  # its own engine
        http = make_http_client(settings)
        try:
            await MarketRefresher(pipeline, http, settings).refresh(now=AFTER_CLOSE)
            newest = (await load_series(pipeline, RUT))[-1][0]
        finally:
            await http.aclose()
            await pipeline.close()
    async with asyncio.timeout(5):
        await watch.changed(after=seen)  # polled every 0.5 s
    with use_language("en"):
        day = fmt_date(newest, "medium")
    assert day not in before
    # The previous answer for at most STALE_SECONDS while one recomputation runs, then the new.
    for _ in range(round((STALE_SECONDS + 2) / 0.05)):
        after = (await ask(running, EN_GUILD, "signal")).embeds[0]["description"]
        if day in after:
            break
        await asyncio.sleep(0.05)
    assert after.startswith("Russell 2000: ") and day in after


async def test_about_names_backend_and_freshness(running: Running) -> None:
    reply = await ask(running, NL_GUILD, "about")
    text = embed_text(reply.embeds[0])
    assert reply.ephemeral
    assert "1 Engelstalige en 1 Nederlandstalige feeds" in text
    assert "Russell 2000: 21 aug 2026" in text and "<t:" in text


async def test_unexpected_error_is_answered_and_logged(
    running: Running, monkeypatch: Any, caplog: Any
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(sys.modules["bot.compose.reads"], "about_info", broken)
    reply = await ask(running, NL_GUILD, "about")
    assert reply.ephemeral and "Er ging bij ons iets mis" in reply.content
    assert any("database on fire" in (r.exc_text or str(r.exc_info)) for r in caplog.records)
