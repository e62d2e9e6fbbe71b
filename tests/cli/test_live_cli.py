"""`python -m bot live`: the stories of the last pass, as a live channel would get them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.cli import main
from bot.config import Settings
from bot.runtime.health import PipelineRun, record_pipeline_run
from bot.storage import Database
from tests.delivery.live_support import add_article, add_feeds


def test_live_prints_the_last_passes_new_stories_only(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)

    async def prepare() -> None:
        db = Database.connect(settings.resolved_database_url)
        try:
            await db.migrate()
            await add_feeds(db, now, 1, 2)
            await add_feeds(db, now, 3, default=False)  # a server's own feed
            earlier = now - timedelta(hours=1)
            await add_article(db, earlier, title="Stored by an earlier pass")
            story, _ = await add_article(db, now, title="Ether ETF approved", coins=("ETH",))
            await add_article(db, now, feed=2, story=story, title="ETH ETF gets the nod")
            await add_article(db, now, title="Archive item", backlog=True)
            await add_article(db, now, feed=3, title="Hedera airdrop", coins=("HBAR",))
            run = PipelineRun(now - timedelta(minutes=1), now + timedelta(minutes=1), ok=True)
            await record_pipeline_run(db, run)
        finally:
            await db.close()

    asyncio.run(prepare())
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    assert main(["live", "--lang", "nl"]) == 0
    out = capsys.readouterr().out
    assert "Laatste pipelinerun" in out and "nieuwe berichten voor een live kanaal: 1" in out
    assert "Ether ETF approved" in out and "Outlet 1, Outlet 2" in out
    assert "In het Engels" in out  # an English story for a Dutch channel, marked
    for absent in ("earlier pass", "Archive item", "Hedera"):
        assert absent not in out
