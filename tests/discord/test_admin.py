"""Server administration end to end: language, feeds, permissions, SSRF, sync, reconnect."""

from __future__ import annotations

from pathlib import Path

from bot.runtime.jobs import pipeline_pass
from bot.runtime.services import open_services
from tests.discord.conftest import (
    EN_CHANNEL,
    EN_GUILD,
    NL_GUILD,
    FeedServer,
    Running,
    bot_settings,
    world,
)
from tests.discord.test_commands import ask, embed_text
from tests.fakediscord import FakeDiscord
from tests.harness import ADMIN, ALICE, start_bot, stop_bot


async def test_language_switch_takes_effect_at_once(running: Running) -> None:
    refused = await ask(running, EN_GUILD, "language set", {"language": "nl"}, user=ALICE)
    assert refused.ephemeral and "Manage Server" in refused.content
    still = await ask(running, EN_GUILD, "news")
    assert "Top crypto news" in embed_text(still.embeds[0])  # nothing changed

    done = await ask(running, EN_GUILD, "language set", {"language": "nl"}, user=ADMIN)
    assert "Gelukt" in done.content and "Nederlands" in done.content
    after = await ask(running, EN_GUILD, "news")
    assert "Belangrijkste cryptonieuws" in embed_text(after.embeds[0])
    shown = await ask(running, EN_GUILD, "language show")
    assert shown.content.splitlines()[0] == "De bot antwoordt op deze server in het Nederlands."

    back = await ask(running, EN_GUILD, "language set", {"language": "en"}, user=ADMIN)
    assert back.content.startswith("Done:")


async def test_permission_denial_is_translated(running: Running) -> None:
    reply = await ask(running, NL_GUILD, "feeds add", {"url": "https://x.example/feed"})
    assert reply.ephemeral
    assert reply.content == "⚠️ Daarvoor heb je de machtiging Server beheren nodig."


async def test_feed_add_refuses_unsafe_or_bad_urls(running: Running) -> None:
    local = running.feeds.url("en.rss")  # 127.0.0.1: refused while the SSRF guard is on
    cases = {
        local: "privénetwerk",
        "http://10.1.2.3/feed": "privénetwerk",
        "http://[::1]/feed": "privénetwerk",
        "http://169.254.169.254/latest/meta-data": "privénetwerk",
        "ftp://example.org/feed.xml": "Alleen feedadressen met http://",
        "https://" + "a" * 600 + ".example/": "te lang",
    }
    for url, reason in cases.items():
        reply = await ask(running, NL_GUILD, "feeds add", {"url": url}, user=ADMIN)
        assert reply.ephemeral and reason in reply.content, (url, reply.content)
    listed = await ask(running, NL_GUILD, "feeds list")
    assert "nog geen" in embed_text(listed.embeds[0])  # nothing was added


async def test_feed_add_list_and_remove(running: Running) -> None:
    running.services.settings.feeds_allow_private = True  # our feed server is on loopback
    page = await ask(running, EN_GUILD, "feeds add", {"url": running.feeds.url("page.html")}, ADMIN)
    assert "does not serve an RSS or Atom feed" in page.content
    added = await ask(running, EN_GUILD, "feeds add", {"url": running.feeds.url("nl.rss")}, ADMIN)
    assert "already on this server's list" in added.content  # it is a default feed

    handle = await running.fake.autocomplete(
        EN_GUILD, EN_CHANNEL, ADMIN, "feeds remove", {"feed": "nieuws"}, focused="feed"
    )
    await handle.wait_response()
    [choice] = handle.choices
    removed = await ask(running, EN_GUILD, "feeds remove", {"feed": choice["value"]}, ADMIN)
    assert "Switched off **Crypto Nieuws NL**" in removed.content
    listed = embed_text((await ask(running, EN_GUILD, "feeds list")).embeds[0])
    assert "⛔ 🇳🇱 Crypto Nieuws NL" in listed
    news = embed_text((await ask(running, EN_GUILD, "news")).embeds[0])
    assert "Bitcoin stijgt" not in news  # the switched-off feed no longer shows here
    other = embed_text((await ask(running, NL_GUILD, "news")).embeds[0])
    assert "Bitcoin stijgt" in other  # ... but does on the other server

    back = await ask(running, EN_GUILD, "feeds add", {"url": running.feeds.url("nl.rss")}, ADMIN)
    assert back.content.startswith("Added **Crypto Nieuws NL**")


async def test_a_servers_own_feed_is_fetched_and_shown_only_there(running: Running) -> None:
    running.services.settings.feeds_allow_private = True
    url = running.feeds.url("extra.rss")
    added = await ask(running, EN_GUILD, "feeds add", {"url": url}, ADMIN)
    assert added.content.startswith("Added **Altcoin Weekly** (en, 1 item)")
    await pipeline_pass(running.services)
    mine = embed_text((await ask(running, EN_GUILD, "news", {"coin": "ADA"})).embeds[0])
    theirs = embed_text((await ask(running, NL_GUILD, "news", {"coin": "ADA"})).embeds[0])
    assert "Cardano upgrade goes live" in mine
    assert "Cardano upgrade" not in theirs


async def test_feeds_list_is_each_servers_own_and_changes_at_once(running: Running) -> None:
    """/feeds list is cached per server: a change shows at once, only on that server."""
    running.services.settings.feeds_allow_private = True
    en_before = embed_text((await ask(running, EN_GUILD, "feeds list")).embeds[0])
    nl_before = embed_text((await ask(running, NL_GUILD, "feeds list")).embeds[0])
    assert "Altcoin Weekly" not in en_before
    url = running.feeds.url("extra.rss")
    added = await ask(running, EN_GUILD, "feeds add", {"url": url}, ADMIN)
    assert added.content.startswith("Added **Altcoin Weekly**")
    en_after = embed_text((await ask(running, EN_GUILD, "feeds list")).embeds[0])
    assert "✅ 🇬🇧 Altcoin Weekly" in en_after
    assert embed_text((await ask(running, NL_GUILD, "feeds list")).embeds[0]) == nl_before

    handle = await running.fake.autocomplete(
        EN_GUILD, EN_CHANNEL, ADMIN, "feeds remove", {"feed": "altcoin"}, focused="feed"
    )
    await handle.wait_response()
    [choice] = handle.choices  # the autocomplete reads the same cached list
    await ask(running, EN_GUILD, "feeds remove", {"feed": choice["value"]}, ADMIN)
    assert embed_text((await ask(running, EN_GUILD, "feeds list")).embeds[0]) == en_before


async def test_reconnect_mid_session(running: Running) -> None:
    await running.fake.request_reconnect()
    await running.fake.wait_for_resumes(1)
    reply = await ask(running, NL_GUILD, "news")
    assert "Belangrijkste cryptonieuws" in embed_text(reply.embeds[0])


async def test_commands_sync_only_when_changed(
    tmp_path: Path, feed_server: FeedServer, restore_endpoints: None
) -> None:
    async with FakeDiscord(world()) as fake:
        settings = bot_settings(tmp_path, fake, feed_server)
        for _restart in range(2):
            async with open_services(settings) as services:
                bot, task = await start_bot(settings, services)
                await stop_bot(bot, task)
        assert len(fake.command_puts) == 1  # the restart found nothing changed
        first = fake.command_puts[0].commands
        names = {c["name"]: c for c in first}
        assert names["news"]["name_localizations"]["nl"] == "nieuws"
        assert names["language"]["name_localizations"]["nl"] == "taal"

        dev = bot_settings(tmp_path, fake, feed_server, dev_guild_id=NL_GUILD)
        async with open_services(dev) as services:
            bot, task = await start_bot(dev, services)
            await stop_bot(bot, task)
        assert len(fake.command_puts) == 2
        assert fake.command_puts[1].guild_id == NL_GUILD
        assert fake.unhandled == []
