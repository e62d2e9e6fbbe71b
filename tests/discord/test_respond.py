"""bot/discord/respond.py against the installed discord.py and the fake Discord: one callback
POST without `with_response` (Discord answers 204), and discord.py's own calls afterwards
behave as after `InteractionResponse.send_message`."""

from __future__ import annotations

import asyncio
import gc
import io
from typing import Any

import discord
from discord import app_commands

from bot.discord.respond import reply
from tests.discord.conftest import EN_CHANNEL, EN_GUILD, Running
from tests.discord.test_commands import ask
from tests.harness import ALICE


async def test_reply_marks_the_interaction_answered_for_discord_py(running: Running) -> None:
    seen: dict[str, Any] = {}

    @app_commands.command(name="probe", description="test only")
    async def probe(interaction: discord.Interaction) -> None:
        await reply(interaction, "first @everyone <@123>", ephemeral=True)
        seen["done"] = interaction.response.is_done()
        try:
            await reply(interaction, "again")
        except discord.InteractionResponded:
            seen["again"] = "refused"
        await interaction.followup.send("followup", ephemeral=True)
        await interaction.edit_original_response(content="edited")
        raise RuntimeError("after the reply")  # the tree's error reply goes as a followup

    running.bot.tree.add_command(probe)  # discord.py finds it by name; no sync needed
    handle = await running.fake.slash(EN_GUILD, EN_CHANNEL, ALICE, "probe")
    first = await handle.wait_final()
    assert first.ephemeral and first.pings.nobody  # the client's allowed mentions: none
    assert first.allowed_mentions == {"parse": []}
    assert (await handle.wait_followup(1)).content == "followup"
    error = await handle.wait_followup(2)
    assert [a.status for a in handle.attempts] == [200]  # one callback, accepted
    assert seen == {"done": True, "again": "refused"}
    assert error.ephemeral and error.content.startswith("⚠️ Something went wrong")
    assert first.content == "edited"


async def test_commands_reply_with_one_callback(running: Running) -> None:
    reply_ = await ask(running, EN_GUILD, "news")
    assert reply_.embeds and not reply_.ephemeral
    about = await ask(running, EN_GUILD, "about")
    assert about.embeds and about.ephemeral


async def test_a_handled_interaction_is_freed_without_the_cyclic_collector(
    running: Running,
) -> None:
    """bot/discord/tree.py `release` drops discord.py's cached `InteractionResponse`
    (the `_cs_response` slot), whose `_parent` points back at the interaction. If a discord.py
    upgrade renames either, the interaction is garbage in a cycle again and this fails."""
    fake = running.fake
    gc.disable()  # only reference counting may free it
    try:
        handles = [
            await fake.slash(EN_GUILD, EN_CHANNEL, ALICE, "news"),  # reply()
            await fake.slash(EN_GUILD, EN_CHANNEL, ALICE, "signal"),  # defer, then followup
            await fake.slash(EN_GUILD, EN_CHANNEL, ALICE, "news", {"coin": "DOGGO"}),  # error
            await fake.autocomplete(
                EN_GUILD, EN_CHANNEL, ALICE, "news", {"coin": "bt"}, focused="coin"
            ),
        ]
        for handle in handles[:3]:
            await handle.wait_final()
        await handles[3].wait_response()
        ids = {h.id for h in handles}
        alive = len(ids)
        for _ in range(100):  # until every task has ended (its done callbacks ran)
            objects = gc.get_objects()
            alive = sum(1 for o in objects if isinstance(o, discord.Interaction) and o.id in ids)
            del objects
            if not alive:
                break
            await asyncio.sleep(0.02)
        assert alive == 0
    finally:
        gc.enable()


async def test_the_signal_chart_is_freed_once_sent_without_the_cyclic_collector(
    running: Running,
) -> None:
    """discord.File leaves a BytesIO referring to itself (its bound `close` on the instance)
    with aiohttp's private copy of the chart: garbage in a cycle, 7 KB per interaction of
    growth at 50/s until a collection. `followup_with_file` breaks the cycle."""

    def buffers() -> int:
        return sum(1 for o in gc.get_objects() if isinstance(o, io.BytesIO))

    gc.collect()
    gc.disable()  # only reference counting may free it
    try:
        before = buffers()
        for _ in range(3):
            reply_ = await ask(running, EN_GUILD, "signal")
            assert reply_.files[0].data.startswith(b"\x89PNG")
        left = buffers() - before
        for _ in range(100):  # until the followup tasks have ended
            if left <= 0:
                break
            await asyncio.sleep(0.02)
            left = buffers() - before
        assert left <= 0
    finally:
        gc.enable()
