"""The Discord process never imports torch or transformers: the pipeline (and the model) run
in its child process (bot/runtime/supervisor.py) or elsewhere.

The bot starts in a fresh interpreter, as `python -m bot run` builds it, with the default
SENTIMENT_BACKEND (auto: the model when it loads) and news stored by a pass of the lexicon
pipeline in another process; it answers the commands that name the sentiment backend
(/news, /about, /sentiment), then the subprocess prints which heavy modules it loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

SCRIPT = r"""
import asyncio, json, sys
from pathlib import Path

from bot.config import load_settings
from bot.runtime.jobs import pipeline_pass
from bot.runtime.services import open_services
from tests.discord.conftest import EN_CHANNEL, EN_GUILD, world
from tests.fakediscord import FakeDiscord
from tests.harness import ALICE, fake_discord_settings, start_bot, stop_bot

HEAVY = ("torch", "transformers")


async def main() -> None:
    data = Path(sys.argv[1])
    async with FakeDiscord(world()) as fake:
        # The stored data: a pass with the lexicon (in the real setup, the child process's).
        lexicon = load_settings(data_dir=data, sentiment_backend="lexicon")
        async with open_services(lexicon) as services:
            await pipeline_pass(services)
        settings = load_settings(data_dir=data, **fake_discord_settings(fake))
        assert settings.sentiment_backend == "auto"
        async with open_services(settings) as services:
            bot, task = await start_bot(settings, services)
            replies = []
            for name in ("news", "about", "sentiment"):
                handle = await fake.slash(EN_GUILD, EN_CHANNEL, ALICE, name, locale="en-US")
                await handle.wait_response(timeout=10)
                message = await handle.wait_final(timeout=10)
                replies.append(json.dumps(message.embeds))
            await stop_bot(bot, task)
    loaded = [m for m in HEAVY if m in sys.modules]
    print(json.dumps({"loaded": loaded, "about": replies[1]}))


asyncio.run(main())
"""


def test_the_discord_process_never_imports_torch(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "data")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    # The backend is named from the pass that scored the news, not from a model loaded here.
    assert "word list" in result["about"] or "woordenlijst" in result["about"]
