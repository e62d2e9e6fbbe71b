"""A prepared interaction (built first, sent later, as the benchmark's burst is): its clock
starts when it is sent, its frame is the payload, and it can be sent once."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from tests.fakediscord import Channel, FakeDiscord, Guild, Member, User, inject

ALICE = User(1002, "alice")
GUILD, CHAT = 5 << 22 | 1, 2001


async def test_the_clock_starts_when_a_prepared_interaction_is_sent() -> None:
    guild = Guild(GUILD, "g", owner_id=ALICE.id, channels=[Channel(CHAT, "chat")])
    guild.members.append(Member(ALICE))
    async with FakeDiscord([guild]) as fake, aiohttp.ClientSession() as http:
        ws = await http.ws_connect(fake.gateway_url)
        assert (await ws.receive_json())["op"] == 10  # HELLO
        await ws.send_json({"op": 2, "d": {"token": fake.token, "intents": 1}})
        assert (await ws.receive_json())["t"] == "READY"
        assert (await ws.receive_json())["t"] == "GUILD_CREATE"

        prepared = inject.prepare_command(fake, GUILD, CHAT, ALICE, "news", {"coin": "BTC"})
        handle = prepared.handle
        assert handle.id not in fake.interactions  # not sent: no clock, nothing to answer
        await asyncio.sleep(0.3)
        await inject.send(fake, prepared)
        frame = json.loads((await ws.receive()).data)
        assert frame["t"] == "INTERACTION_CREATE" and frame["s"] == 3
        assert frame["d"] == handle.payload
        assert frame["d"]["data"]["options"] == [{"name": "coin", "type": 3, "value": "BTC"}]
        with pytest.raises(ValueError, match="sent already"):
            await inject.send(fake, prepared)

        url = f"{fake.api_base}/interactions/{handle.id}/{handle.token}/callback"
        async with http.post(url, json={"type": 4, "data": {"content": "hi"}}) as response:
            assert response.status == 204
        assert handle.response is not None
        assert 0 <= handle.response.elapsed_ms < 300  # the 0.3 s before sending not counted
        async with http.post(url, json={"type": 4, "data": {"content": "again"}}) as response:
            assert response.status == 400 and (await response.json())["code"] == 40060
        await ws.close()
