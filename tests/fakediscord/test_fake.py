"""The fake Discord against the real discord.py client: login, sync, interactions, rules, faults."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import (
    Channel,
    DeadlineMissed,
    FakeDiscord,
    Guild,
    Member,
    Overwrite,
    Perm,
    Role,
    User,
    guild_id_for_shard,
    use_fake,
)

OWNER = User(1001, "owner")
ALICE = User(1002, "alice", global_name="Alice")
BOB = User(1003, "bob")
NL_GUILD = guild_id_for_shard(0, 2)
EN_GUILD = guild_id_for_shard(1, 2)
NL_CHAT, NL_LOCKED, EN_CHAT = 2001, 2002, 2003
MODS = 3001
COINS = ["BTC", "BCH", "ETH", "SOL", "ADA"]
PNG = b"\x89PNG\r\n\x1a\nchart"


def make_guilds() -> list[Guild]:
    """Fresh declarations per test: the fake mutates them (channel deletion)."""
    locked = Overwrite(NL_GUILD, "role", deny=Perm.SEND_MESSAGES)
    return [
        Guild(
            NL_GUILD,
            "Crypto NL",
            owner_id=OWNER.id,
            preferred_locale="nl",
            channels=[
                Channel(NL_CHAT, "algemeen"),
                Channel(NL_LOCKED, "aankondigingen", overwrites=[locked]),
            ],
            roles=[Role(MODS, "mods", int(Perm.MANAGE_GUILD))],
            members=[Member(OWNER), Member(ALICE), Member(BOB, roles=[MODS])],
        ),
        Guild(EN_GUILD, "Crypto EN", owner_id=OWNER.id, channels=[Channel(EN_CHAT, "general")],
              members=[Member(OWNER), Member(ALICE)]),
    ]  # fmt: skip


@dataclass
class Seen:
    """What the bot observed, for assertions on the client side."""

    errors: list[Exception] = field(default_factory=list)
    resumed: asyncio.Event = field(default_factory=asyncio.Event)
    release_late: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    handled: list[str] = field(default_factory=list)


def make_bot(seen: Seen, bot_cls: Callable[..., Any] = commands.Bot, **kwargs: Any) -> commands.Bot:
    intents = discord.Intents.none()
    intents.guilds = True
    bot: commands.Bot = bot_cls(
        command_prefix=commands.when_mentioned, intents=intents, guild_ready_timeout=0.02, **kwargs
    )
    none = discord.AllowedMentions.none()

    @bot.tree.command(name="ping", description="Replies at once")
    async def ping(interaction: discord.Interaction) -> None:
        seen.handled.append(f"ping@{interaction.guild_id}")
        text = f"pong {interaction.guild_locale} {interaction.permissions.manage_guild}"
        await interaction.response.send_message(text, allowed_mentions=none)

    @bot.tree.command(name="slow", description="Defers, then edits")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0)
        await interaction.edit_original_response(content="done", allowed_mentions=none)

    @bot.tree.command(name="late", description="Answers only when the test says so")
    async def late(interaction: discord.Interaction) -> None:
        await seen.release_late.wait()
        try:
            await interaction.response.send_message("too late")
        except discord.HTTPException as exc:
            seen.errors.append(exc)
        seen.done.set()

    @bot.tree.command(name="twice", description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        try:
            await interaction.client.http.request(  # a second initial response, by hand
                discord.http.Route(
                    "POST", "/interactions/{i}/{t}/callback", i=interaction.id, t=interaction.token
                ),
                json={"type": 4, "data": {"content": "two"}},
            )
        except discord.HTTPException as exc:
            seen.errors.append(exc)
        seen.done.set()

    @bot.tree.command(name="long", description="Replies with too much text")
    async def long(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message("x" * 2001)
        except discord.HTTPException as exc:
            seen.errors.append(exc)
            await interaction.response.send_message("shortened")

    @bot.tree.command(name="coin", description="Picks a coin")
    async def coin(interaction: discord.Interaction, symbol: str) -> None:
        await interaction.response.send_message(symbol)

    @coin.autocomplete("symbol")
    async def coin_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        hits = [c for c in COINS if c.lower().startswith(current.lower())]
        return [app_commands.Choice(name=c, value=c) for c in hits]

    @bot.tree.command(name="chart", description="Defers privately, then sends a file")
    async def chart(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        image = discord.File(io.BytesIO(PNG), "chart.png")
        await interaction.followup.send("chart", file=image, ephemeral=True)
        await interaction.followup.send("and one more", ephemeral=True)

    @bot.tree.command(name="pages", description="A message with a button")
    async def pages(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        button: discord.ui.Button[discord.ui.View] = discord.ui.Button(label="+", custom_id="next")

        async def next_page(click: discord.Interaction) -> None:
            await click.response.edit_message(content="page 2")

        button.callback = next_page  # type: ignore[method-assign,assignment]
        view.add_item(button)
        await interaction.response.send_message("page 1", view=view)

    admin = app_commands.Group(name="admin", description="Moderation")
    users = app_commands.Group(name="users", description="Users", parent=admin)

    @users.command(name="greet", description="Greets a member in a channel")
    async def greet(
        interaction: discord.Interaction, member: discord.Member, where: discord.TextChannel | None
    ) -> None:
        place = where.name if where else "-"
        await interaction.response.send_message(f"hi {member.display_name} in {place}")

    bot.tree.add_command(admin)

    async def setup_hook() -> None:
        await bot.tree.sync()

    async def on_resumed() -> None:
        seen.resumed.set()

    async def identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s between shards' IDENTIFYs; the fake has no identify limit."""

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    bot.before_identify_hook = identify_at_once  # type: ignore[method-assign]
    bot.add_listener(on_resumed)
    return bot


async def start(bot: commands.Bot, fake: FakeDiscord) -> asyncio.Task[None]:
    task = asyncio.create_task(bot.start(fake.token))
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        if task.done():
            task.result()  # raise the client's own error
        raise TimeoutError("bot did not get ready")
    return task


async def stop(bot: commands.Bot, task: asyncio.Task[None]) -> None:
    await bot.close()
    await task


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(make_guilds(), owner=OWNER, deadline=0.3, shard_count=2) as server:
        with use_fake(server):
            yield server
        assert server.unhandled == [], "the bot used routes the fake does not serve"


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
async def bot(fake: FakeDiscord, seen: Seen) -> AsyncIterator[commands.Bot]:
    client = make_bot(seen)
    task = await start(client, fake)
    yield client
    await stop(client, task)


async def test_ready_with_guilds_and_synced_commands(fake: FakeDiscord, bot: commands.Bot) -> None:
    assert bot.user is not None and bot.user.id == fake.bot_user.id
    assert bot.application_id == fake.application_id
    assert {g.id for g in bot.guilds} == {NL_GUILD, EN_GUILD}
    nl = bot.get_guild(NL_GUILD)
    assert nl is not None and nl.preferred_locale is discord.Locale.dutch
    assert nl.me is not None
    assert nl.get_channel(NL_CHAT) is not None

    [put] = fake.command_puts
    assert put.guild_id is None
    assert {c["name"] for c in put.commands} >= {"ping", "slow", "coin", "admin"}
    assert all(c["id"] and c["application_id"] == str(fake.application_id) for c in put.returned)
    [identify] = fake.identifies
    assert identify.shard is None and identify.intents == discord.Intents(guilds=True).value


async def test_reply_is_recorded_with_its_response_time(
    fake: FakeDiscord, bot: commands.Bot
) -> None:
    handle = await fake.slash(NL_GUILD, NL_CHAT, BOB, "ping")
    response = await handle.wait_response()
    assert response.type == 4 and response.status == 200
    assert 0 <= response.elapsed_ms < fake.deadline * 1000
    assert response.data["content"] == "pong nl True"  # guild locale and the mods role's permission
    assert response.data["allowed_mentions"] == {"parse": []}
    final = await handle.wait_final()
    assert final.content == "pong nl True" and final.source == "interaction"
    assert fake.messages[NL_CHAT] == [final]
    assert not handle.missed_deadline and fake.missed_deadlines == []

    other = await fake.slash(EN_GUILD, EN_CHAT, ALICE, "ping", permissions=int(Perm.MANAGE_GUILD))
    assert (await other.wait_final()).content == "pong en-US True"
    plain = await fake.slash(EN_GUILD, EN_CHAT, ALICE, "ping")
    assert (await plain.wait_final()).content == "pong en-US False"


async def test_defer_then_edit_gives_the_final_message(
    fake: FakeDiscord, bot: commands.Bot
) -> None:
    handle = await fake.slash(NL_GUILD, NL_CHAT, ALICE, "slow")
    assert (await handle.wait_response()).type == 5
    final = await handle.wait_final()
    assert final.content == "done" and not final.loading
    assert final.allowed_mentions == {"parse": []}
    assert final is handle.original


async def test_followup_after_defer_replaces_the_thinking_message(
    fake: FakeDiscord, bot: commands.Bot
) -> None:
    handle = await fake.slash(NL_GUILD, NL_CHAT, ALICE, "chart")
    final = await handle.wait_final()
    assert final.content == "chart" and final.ephemeral
    assert [(f.filename, f.data) for f in final.files] == [("chart.png", PNG)]
    second = await handle.wait_followup(1)
    assert second.content == "and one more" and second.ephemeral and second is not final


async def test_button_click_updates_the_message(fake: FakeDiscord, bot: commands.Bot) -> None:
    message = await (await fake.slash(NL_GUILD, NL_CHAT, ALICE, "pages")).wait_final()
    click = await fake.click(message, "next", BOB)
    assert (await click.wait_response()).type == 7
    assert message.content == "page 2" and click.original is message


async def test_autocomplete_answers_choices(fake: FakeDiscord, bot: commands.Bot) -> None:
    handle = await fake.autocomplete(NL_GUILD, NL_CHAT, ALICE, "coin", {"symbol": "b"}, "symbol")
    response = await handle.wait_response()
    assert response.type == 8
    assert [c["name"] for c in handle.choices] == ["BTC", "BCH"]
    chosen = await fake.slash(NL_GUILD, NL_CHAT, ALICE, "coin", {"symbol": "ETH"})
    assert (await chosen.wait_final()).content == "ETH"


async def test_subcommand_group_with_user_and_channel_options(
    fake: FakeDiscord, bot: commands.Bot
) -> None:
    handle = await fake.slash(
        NL_GUILD, NL_CHAT, BOB, "admin users greet", {"member": ALICE, "where": NL_LOCKED}
    )
    assert (await handle.wait_final()).content == "hi Alice in aankondigingen"
    options = handle.payload["data"]["options"]
    assert options[0]["type"] == 2 and options[0]["options"][0]["type"] == 1
    assert handle.payload["data"]["id"] == next(
        c["id"] for c in fake.command_puts[-1].returned if c["name"] == "admin"
    )


async def test_missing_response_is_flagged_at_the_deadline(
    fake: FakeDiscord, bot: commands.Bot, seen: Seen
) -> None:
    handle = await fake.slash(NL_GUILD, NL_CHAT, ALICE, "late")
    with pytest.raises(DeadlineMissed):
        await handle.wait_response()
    assert fake.missed_deadlines == [handle]
    seen.release_late.set()
    await asyncio.wait_for(seen.done.wait(), 5)
    [error] = seen.errors
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert handle.attempts[0].code == 10062 and handle.response is None


async def test_second_initial_response_is_refused(
    fake: FakeDiscord, bot: commands.Bot, seen: Seen
) -> None:
    handle = await fake.slash(NL_GUILD, NL_CHAT, ALICE, "twice")
    assert (await handle.wait_response()).data["content"] == "one"
    await asyncio.wait_for(seen.done.wait(), 5)
    assert [a.code for a in handle.attempts] == [None, 40060]
    assert isinstance(seen.errors[0], discord.HTTPException) and seen.errors[0].code == 40060


async def test_over_long_reply_is_refused_and_can_be_retried(
    fake: FakeDiscord, bot: commands.Bot, seen: Seen
) -> None:
    handle = await fake.slash(NL_GUILD, NL_CHAT, ALICE, "long")
    assert (await handle.wait_final()).content == "shortened"
    assert seen.errors[0].code == 50035  # type: ignore[attr-defined]
    assert [a.status for a in handle.attempts] == [400, 200]


def embed(**parts: object) -> dict[str, object]:
    return {"description": "d", **parts}


def post(bot: commands.Bot, channel_id: int, payload: dict[str, object]) -> Any:
    """A raw message POST, past discord.py's own client-side checks."""
    route = discord.http.Route("POST", "/channels/{c}/messages", c=channel_id)
    return bot.http.request(route, json=payload)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"content": "x" * 2001}, 50035),
        ({"embeds": [embed()] * 11}, 50035),
        ({"embeds": [embed(title="t" * 257)]}, 50035),
        ({"embeds": [embed(description="d" * 4097)]}, 50035),
        ({"embeds": [embed(fields=[{"name": "n", "value": "v"}] * 26)]}, 50035),
        ({"embeds": [embed(fields=[{"name": "n" * 257, "value": "v"}])]}, 50035),
        ({"embeds": [embed(fields=[{"name": "n", "value": "v" * 1025}])]}, 50035),
        ({"embeds": [embed(footer={"text": "f" * 2049})]}, 50035),
        ({"embeds": [embed(author={"name": "a" * 257})]}, 50035),
        ({"embeds": [embed(description="d" * 4000), embed(description="d" * 2001)]}, 50035),
        ({"content": ""}, 50006),
    ],
)
async def test_message_limits(
    fake: FakeDiscord, bot: commands.Bot, payload: dict[str, object], code: int
) -> None:
    with pytest.raises(discord.HTTPException) as caught:
        await post(bot, NL_CHAT, payload)
    assert caught.value.status == 400 and caught.value.code == code
    assert fake.messages[NL_CHAT] == []


async def test_messages_at_the_limits_are_accepted(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(NL_CHAT)
    assert isinstance(channel, discord.TextChannel)
    fields = [{"name": "n" * 256, "value": "v" * 10}] * 2
    big = discord.Embed.from_dict(embed(title="t" * 256, description="d" * 4096, fields=fields))
    await channel.send("x" * 2000, embeds=[big] + [discord.Embed(title=str(i)) for i in range(9)])
    msg = await fake.wait_for_message(NL_CHAT)
    assert len(msg.content) == 2000 and msg.embeds[0]["title"] == "t" * 256


async def test_allowed_mentions_and_pings_are_recorded(
    fake: FakeDiscord, bot: commands.Bot
) -> None:
    channel = bot.get_channel(NL_CHAT)
    assert isinstance(channel, discord.TextChannel)
    text = f"@everyone <@{ALICE.id}> moon"
    await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
    await channel.send(text)
    quiet = await fake.wait_for_message(NL_CHAT)
    loud = await fake.wait_for_message(NL_CHAT)
    assert quiet.allowed_mentions == {"parse": []} and quiet.pings.nobody
    assert loud.allowed_mentions is None and loud.pings.users == {ALICE.id}
    assert not loud.pings.everyone  # the bot lacks Mention Everyone


async def test_files_arrive_as_multipart(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(EN_CHAT)
    assert isinstance(channel, discord.TextChannel)
    png = PNG
    sent = await channel.send(
        embed=discord.Embed(title="Russell 2000").set_image(url="attachment://chart.png"),
        file=discord.File(io.BytesIO(png), "chart.png"),
    )
    msg = await fake.wait_for_message(EN_CHAT)
    assert [(f.filename, f.data) for f in msg.files] == [("chart.png", png)]
    assert msg.embeds[0]["image"]["url"] == "attachment://chart.png"
    assert sent.attachments[0].filename == "chart.png"
    assert await sent.attachments[0].read() == png


async def test_channel_permissions_are_enforced(fake: FakeDiscord, bot: commands.Bot) -> None:
    locked = bot.get_channel(NL_LOCKED)
    assert isinstance(locked, discord.TextChannel)
    assert not locked.permissions_for(locked.guild.me).send_messages
    with pytest.raises(discord.Forbidden) as caught:
        await locked.send("hello")
    assert caught.value.code == 50013
    handle = await fake.slash(NL_GUILD, NL_LOCKED, ALICE, "ping")
    app_permissions = discord.Permissions(int(handle.payload["app_permissions"]))
    assert not app_permissions.send_messages and app_permissions.view_channel
    assert (await handle.wait_final()).content.startswith("pong")  # responses need no channel perms


async def test_deleted_channel_answers_unknown_channel(
    fake: FakeDiscord, bot: commands.Bot
) -> None:
    channel = bot.get_channel(EN_CHAT)
    assert isinstance(channel, discord.TextChannel)
    deleted = asyncio.create_task(bot.wait_for("guild_channel_delete", timeout=5))
    await fake.delete_channel(EN_CHAT)
    assert (await deleted).id == EN_CHAT and bot.get_channel(EN_CHAT) is None
    with pytest.raises(discord.NotFound) as caught:
        await channel.send("still there?")
    assert caught.value.code == 10003


async def test_joining_and_leaving_a_guild(fake: FakeDiscord, bot: commands.Bot) -> None:
    new_id = guild_id_for_shard(0, 2, n=5)
    new = Guild(new_id, "Nieuw", owner_id=OWNER.id, preferred_locale="nl",
                channels=[Channel(2009, "chat")], members=[Member(OWNER)])  # fmt: skip
    joined = asyncio.create_task(bot.wait_for("guild_join", timeout=5))
    await fake.add_guild(new)
    assert (await joined).id == new_id
    assert bot.get_guild(new_id).preferred_locale is discord.Locale.dutch  # type: ignore[union-attr]
    handle = await fake.slash(new_id, 2009, OWNER, "ping")
    assert (await handle.wait_final()).content == "pong nl True"  # the owner has every permission
    removed = asyncio.create_task(bot.wait_for("guild_remove", timeout=5))
    await fake.remove_guild(new_id)
    assert (await removed).id == new_id and bot.get_guild(new_id) is None


async def test_an_outage_is_not_a_removal(fake: FakeDiscord, bot: commands.Bot) -> None:
    unavailable = asyncio.create_task(bot.wait_for("guild_unavailable", timeout=5))
    await fake.outage(EN_GUILD)
    assert (await unavailable).id == EN_GUILD
    guild = bot.get_guild(EN_GUILD)
    assert guild is not None and guild.unavailable  # still a member, just unreachable


async def test_a_guild_unavailable_at_identify_is_listed_without_details() -> None:
    guilds = make_guilds()
    guilds[1].unavailable = True
    async with FakeDiscord(guilds, owner=OWNER) as fake:
        with use_fake(fake):
            bot = make_bot(Seen())
            task = await start(bot, fake)
            try:
                assert {g.id for g in bot.guilds} == {NL_GUILD, EN_GUILD}
                en = bot.get_guild(EN_GUILD)
                assert en is not None and en.unavailable and not en.name  # no GUILD_CREATE
                assert not bot.get_guild(NL_GUILD).unavailable  # type: ignore[union-attr]
            finally:
                await stop(bot, task)


async def test_rate_limit_with_via_is_retried(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = bot.get_channel(NL_CHAT)
    assert isinstance(channel, discord.TextChannel)
    fake.inject("POST", "/channels/*/messages", 429, retry_after=0.01)
    await channel.send("after a 429")
    assert [f.status for f in fake.faults.served] == [429]
    assert [m.content for m in fake.messages[NL_CHAT]] == ["after a 429"]

    fake.inject("POST", "/channels/*/messages", 429, via=False)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("blocked")
    assert caught.value.status == 429


@pytest.mark.parametrize(
    ("status", "error", "code"), [(403, discord.Forbidden, 50013), (404, discord.NotFound, 10003)]
)
async def test_injected_errors(
    fake: FakeDiscord, bot: commands.Bot, status: int, error: type[discord.HTTPException], code: int
) -> None:
    channel = bot.get_channel(NL_CHAT)
    assert isinstance(channel, discord.TextChannel)
    fake.inject("POST", f"/channels/{NL_CHAT}/messages", status)
    with pytest.raises(error) as caught:
        await channel.send("x")
    assert caught.value.code == code
    await channel.send("y")  # only one response was queued
    assert [m.content for m in fake.messages[NL_CHAT]] == ["y"]


async def test_reconnect_then_resume_mid_session(
    fake: FakeDiscord, bot: commands.Bot, seen: Seen
) -> None:
    assert await fake.request_reconnect() == 1
    # Sent while the client is away: Discord replays it on RESUME, so does the fake.
    handle = await fake.slash(NL_GUILD, NL_CHAT, ALICE, "ping")
    await fake.wait_for_resumes(1)
    await asyncio.wait_for(seen.resumed.wait(), 5)
    assert (await handle.wait_final()).content.startswith("pong")
    assert len(fake.identifies) == 1  # resumed, not re-identified
    after = await fake.slash(EN_GUILD, EN_CHAT, ALICE, "ping")
    assert (await after.wait_response()).status == 200


async def test_two_sharded_clients_get_only_their_guilds(fake: FakeDiscord) -> None:
    seen0, seen1 = Seen(), Seen()
    bot0 = make_bot(seen0, shard_id=0, shard_count=2)
    bot1 = make_bot(seen1, shard_id=1, shard_count=2)
    task0 = await start(bot0, fake)
    task1 = await start(bot1, fake)
    try:
        assert [g.id for g in bot0.guilds] == [NL_GUILD]
        assert [g.id for g in bot1.guilds] == [EN_GUILD]
        assert sorted(i.shard for i in fake.identifies) == [[0, 2], [1, 2]]  # type: ignore[type-var]
        for guild_id, channel_id in ((NL_GUILD, NL_CHAT), (EN_GUILD, EN_CHAT)):
            await (await fake.slash(guild_id, channel_id, ALICE, "ping")).wait_final()
        assert seen0.handled == [f"ping@{NL_GUILD}"] and seen1.handled == [f"ping@{EN_GUILD}"]
    finally:
        await stop(bot0, task0)
        await stop(bot1, task1)


async def test_auto_sharded_client_uses_gateway_bot(fake: FakeDiscord) -> None:
    bot = make_bot(Seen(), commands.AutoShardedBot)
    task = await start(bot, fake)
    try:
        assert ("GET", "/gateway/bot") in fake.requests
        assert bot.shard_count == 2 and {g.id for g in bot.guilds} == {NL_GUILD, EN_GUILD}
        assert bot.get_guild(EN_GUILD).shard_id == 1  # type: ignore[union-attr]
    finally:
        await stop(bot, task)


async def test_bad_token_fails_login(fake: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.none())
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()


def _option(i: int) -> dict[str, Any]:
    choices = [{"name": "c" * 100, "value": "v" * 90}] * 20
    return {"name": f"o{i}", "description": "d" * 100, "type": 3, "choices": choices}


@pytest.mark.parametrize(
    "command",
    [
        {"name": "nieuws", "description": "Nieuws", "name_localizations": {"nl": "Nieuws Nu"}},
        {"name": "news", "description": "x" * 101},
        {"name": "news", "description": "News", "description_localizations": {"xx": "?"}},
        {"name": "news", "description": "News", "options": [_option(0), _option(1)]},
    ],
    ids=["uppercase-localized-name", "long-description", "unknown-locale", "over-4000-chars"],
)
async def test_invalid_commands_are_refused(
    fake: FakeDiscord, bot: commands.Bot, command: Any
) -> None:
    with pytest.raises(discord.HTTPException) as caught:
        await bot.http.bulk_upsert_global_commands(fake.application_id, [command])
    assert caught.value.code == 50035
    assert len(fake.command_puts) == 1  # the refused PUT changed nothing


async def test_unserved_routes_are_recorded(fake: FakeDiscord, bot: commands.Bot) -> None:
    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/guilds/{g}/bans", g=NL_GUILD))
    assert fake.unhandled == [("GET", f"/api/v10/guilds/{NL_GUILD}/bans")]
    fake.unhandled.clear()


async def test_common_reads_edits_and_dms(fake: FakeDiscord, bot: commands.Bot) -> None:
    channel = await bot.fetch_channel(NL_CHAT)
    assert isinstance(channel, discord.TextChannel) and channel.name == "algemeen"
    guild = await bot.fetch_guild(NL_GUILD)
    assert guild.preferred_locale is discord.Locale.dutch
    assert (await guild.fetch_member(BOB.id)).get_role(MODS) is not None

    async with channel.typing():
        sent = await channel.send("draft")
    await sent.edit(content="final")
    assert [m.content async for m in channel.history(limit=5)] == ["final"]
    await sent.delete()
    assert fake.messages[NL_CHAT][0].deleted and fake.messages[NL_CHAT][0].edits

    user = await bot.fetch_user(ALICE.id)
    await user.send("private digest")
    [(dm_id, recipient)] = fake.dm_channels.items()
    assert recipient == ALICE
    assert (await fake.wait_for_message(dm_id)).source == "dm"
