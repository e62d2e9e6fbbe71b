"""`python -m bot run` with DISCORD_PROCESSES=2, for real, against the fake Discord (2 shards):
both processes connect with distinct shards, each guild is answered by the process owning its
shard, the commands are synced once, a killed Discord child is restarted while the other
process keeps answering, and stopping the parent stops every process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from bot.config import load_settings
from bot.runtime.supervisor import PROCESS_KEY, ChildState, child_state, discord_process_key
from bot.storage import Database
from tests.conftest import REPO
from tests.discord.conftest import FeedServer
from tests.fakediscord import Channel, FakeDiscord, Guild, Member, guild_id_for_shard
from tests.harness import ALICE, OWNER, write_feeds_file
from tests.runtime.test_supervisor import UNREACHABLE, wait_until

GUILDS = {shard: guild_id_for_shard(shard, 2) for shard in (0, 1)}
CHANNELS = {0: 2001, 1: 2002}


def world() -> list[Guild]:
    return [
        Guild(
            id=GUILDS[shard],
            name=f"Shard {shard}",
            owner_id=OWNER.id,
            channels=[Channel(CHANNELS[shard], "general")],
            members=[Member(OWNER), Member(ALICE)],
        )
        for shard in (0, 1)
    ]


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def answered(fake: FakeDiscord, shard: int, within: float = 20) -> bool:
    handle = await fake.slash(GUILDS[shard], CHANNELS[shard], ALICE, "about", locale="en-US")
    with contextlib.suppress(Exception):
        await handle.wait_response(timeout=within)
        return handle.response is not None
    return False


async def test_run_with_two_discord_processes(tmp_path: Path, feed_server: FeedServer) -> None:
    feeds = [("EN", feed_server.url("en.rss"), "en")]
    feeds_file = write_feeds_file(tmp_path / "feeds.toml", feeds)
    async with FakeDiscord(world(), owner=OWNER, shard_count=2) as fake:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "HF_HUB_OFFLINE": "1",
            "DATA_DIR": str(tmp_path / "data"),
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DISCORD_PROCESSES": "2",
            "FEEDS_FILE": str(feeds_file),
            "FEEDS_ALLOW_PRIVATE": "true",  # the feed server is on loopback
            "SENTIMENT_BACKEND": "lexicon",
            **{
                f"MARKET_{name}_URL": UNREACHABLE
                for name in ("YAHOO", "BINANCE", "BINANCE_FALLBACK", "COINGECKO", "FNG")
            },
        }
        parent = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        log = bytearray()

        async def keep_log() -> None:
            assert parent.stderr is not None
            async for line in parent.stderr:
                log.extend(line)

        reader = asyncio.create_task(keep_log())
        settings = load_settings(data_dir=tmp_path / "data")
        db = Database.connect(settings.resolved_database_url)
        try:

            def shards_identified() -> list[list[int] | None]:
                return sorted(r.shard for r in fake.identifies if r.shard is not None)

            async def both_connected() -> bool:
                return shards_identified() == [[0, 2], [1, 2]]

            await wait_until(both_connected, within=90)
            assert await answered(fake, 0) and await answered(fake, 1)
            assert len(fake.command_puts) == 1  # shard 0's owner only

            # One pipeline, supervised by the parent; the Discord child starts no children.
            pipeline = await child_state(db, PROCESS_KEY)
            child = await child_state(db, discord_process_key(1))
            assert pipeline is not None and child is not None and child.pid is not None
            assert sorted(children_of(parent.pid)) == sorted([pipeline.pid, child.pid])
            assert children_of(child.pid) == []
            assert b"[discord-1] " in log  # its log, prefixed, in the parent's

            # Shard 1's process dies: shard 0 still answers, and shard 1 comes back.
            os.kill(child.pid, signal.SIGKILL)
            assert await answered(fake, 0, within=5)
            # ... before shard 1's process came back (restart backoff 1 s, then start-up)
            assert shards_identified().count([1, 2]) == 1

            async def restarted() -> ChildState | None:
                state = await child_state(db, discord_process_key(1))
                if state and state.state == "running" and state.pid != child.pid:
                    return state
                return None

            async def reconnected() -> bool:
                return shards_identified().count([1, 2]) == 2 and await restarted() is not None

            await wait_until(reconnected, within=60)
            assert await answered(fake, 1)  # answered by the new process: the old one is gone
            again = await restarted()
            assert again is not None and again.restarts == 1 and again.last_exit == -9
            assert len(fake.command_puts) == 1  # the restarted child did not sync either

            # Stopping the parent stops them all.
            parent.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                assert await parent.wait() == 0
            assert again.pid is not None
            assert not alive(again.pid) and not alive(pipeline.pid or 0)
            stopped = await child_state(db, discord_process_key(1))
            assert stopped is not None and stopped.state == "stopped"
        finally:
            if parent.returncode is None:
                parent.kill()
                await parent.wait()
            reader.cancel()
            await db.close()
            print(log.decode(errors="replace")[-4000:])
