"""`python -m bot demo`, `news` and the fetch report, run in-process (offline)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.fetch import report_table
from bot.i18n import use_language
from bot.news.feeds import Feed
from bot.news.pipeline import FeedReport, IngestReport


def test_demo_runs_the_main_job_offline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TRANSLATION_MODEL_EN_NL", "TRANSLATION_MODEL_NL_EN"):  # whatever is cached
        monkeypatch.setenv(name, str(tmp_path / "no-model"))
    assert main(["demo", "--chart", str(tmp_path / "chart.png")]) == 0
    out, err = capsys.readouterr()
    # Progress per step on stderr, in order.
    steps = [line for line in err.splitlines() if line.startswith("[")]
    assert len(steps) == 8 and steps[0].startswith("[1/8]") and "sample feeds" in steps[0]
    assert "146 articles stored from 7 feeds" in err
    assert "146 articles scored: trained offline model" in err
    assert "Translation off, stories keep their language: model " in err
    # Dated samples: "now" is the newest article; the Dutch digest, then the English one.
    assert "Cryptoverzicht van vrijdag 12 december 2025" in out
    assert "Crypto digest for Friday, December 12, 2025" in out
    dutch, english = out.split("Crypto digest for Friday")
    assert "Bronnen: " in dutch and "Sources: " not in dutch
    assert "Newsbit" in dutch or "Crypto Insiders" in dutch
    assert "Cointelegraph" in english
    # The signal report, with its honesty line, and the chart.
    assert "Russell 2000 breakout signal" in english
    assert "Sample size: 2 completed cases." in english
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")
    # A fresh temporary data dir: nothing written to the working directory's data/.
    assert not (tmp_path / "data").exists()


@pytest.mark.sqlite_only  # the demo always keeps its own SQLite file
def test_news_reads_what_the_demo_stored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep = tmp_path / "demo-data"
    assert main(["demo", "--data-dir", str(keep)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("DATA_DIR", str(keep))
    assert main(["news", "--lang", "nl", "--coin", "xrp", "--hours", "200000"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Belangrijkste nieuws van de afgelopen 200000 uur")
    assert "Munten: XRP" in out
    assert main(["news", "--lang", "en", "--hours", "1"]) == 0
    out = capsys.readouterr().out
    assert "No stories in the last 1 hour." in out
    assert "Newest stored article:" in out


def test_news_on_an_empty_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["news"]) == 0
    assert "Nothing stored yet" in capsys.readouterr().out


def test_fetch_report_table_lists_every_feed_with_its_reason() -> None:
    now = datetime(2025, 12, 12, tzinfo=UTC)
    report = IngestReport(
        now,
        now,
        [
            FeedReport(
                Feed(1, "CoinDesk", "https://c", "en"), "ok", entries=25, new=25, backlog=True
            ),
            FeedReport(Feed(2, "Newsbit", "https://n", "nl"), "blocked", error="http_429"),
        ],
    )
    with use_language("nl"):
        table = report_table(report)
    lines = table.splitlines()
    assert lines[0].split() == ["Feed", "Status", "Items", "Nieuw", "Opmerking"]
    assert "achterstand, opgeslagen als oud nieuws" in lines[2]
    assert "geblokkeerd" in lines[3] and "http_429" in lines[3]
    assert lines[-1].startswith("25 nieuwe artikelen uit 1 van de 2 feeds")
