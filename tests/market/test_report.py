"""The report end to end on a fresh database, its text in both languages, chart and CLI."""

from __future__ import annotations

import gc
import io
import struct
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.i18n import Language, use_language
from bot.market.chart import render_chart
from bot.market.report import SignalReport, build_signal_report
from bot.market.text import honesty_text, render_report_text
from bot.storage import Database

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.fixture
async def report(db: Database, settings: Settings) -> SignalReport:
    return await build_signal_report(db, settings, now=NOW)


async def test_report_on_a_fresh_database(report: SignalReport) -> None:
    assert report.state is not None and report.state.last_breakout is not None
    assert report.state.last_breakout.date == date(2025, 9, 18)
    assert [a.breakout.date.year for a in report.aftermaths] == [2016, 2020, 2025]
    assert report.completed_cases == 2
    assert report.context.eth_btc is not None and report.context.dominance is not None


async def test_settings_drive_the_rules(db: Database, settings: Settings) -> None:
    strict = settings.model_copy(update={"breakout_min_sessions": 900})
    report = await build_signal_report(db, strict, now=NOW)
    assert {b.date.year for b in report.breakouts} == {2004, 2011, 2025}


@pytest.mark.parametrize(
    ("language", "needles"),
    [
        (
            "en",
            [
                "Sample size: 2 completed cases.",
                "Not financial advice.",
                "1,295.80",
                "19 of the next 126 sessions",
                "as of Aug 21, 2026",
                "more than a week old",
            ],
        ),
        (
            "nl",
            [
                "Steekproef: 2 afgeronde gevallen.",
                "Geen financieel advies.",
                "1.295,80",
                "19 van de volgende 126 handelsdagen",
                "stand van 21 aug 2026",
                "meer dan een week oud",
            ],
        ),
    ],
)
def test_text_in_both_languages(
    report: SignalReport, language: Language, needles: list[str]
) -> None:
    text = render_report_text(report, language)
    for needle in needles:
        assert needle in text
    with use_language(language):
        assert text.endswith(honesty_text(report))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chart_is_a_png_in_both_languages(report: SignalReport) -> None:
    english, dutch = render_chart(report, "en"), render_chart(report, "nl")
    assert png_size(english) == png_size(dutch) == (1200, 800)
    assert english != dutch  # titles, labels and number formats differ
    from PIL import Image

    image = Image.open(io.BytesIO(english)).convert("RGB")
    assert image.getpixel((5, 5)) == (0x31, 0x33, 0x38)  # the dark theme background


def test_cli_signal_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "cli"))
    chart = tmp_path / "signal.png"
    assert main(["--log-level", "WARNING", "signal", "--lang", "nl", "--chart", str(chart)]) == 0
    out = capsys.readouterr().out
    assert "Uitbraaksignaal Russell 2000" in out and "Geen financieel advies." in out
    assert png_size(chart.read_bytes()) == (1200, 800)


async def test_report_follows_new_data(db: Database, settings: Settings) -> None:
    from datetime import timedelta

    from bot.market.series import RUT
    from bot.market.store import upsert_points

    first = await build_signal_report(db, settings, now=NOW)
    assert first.state is not None
    new_day = first.state.last_date + timedelta(days=3)
    await upsert_points(db, RUT, [(new_day, first.state.record * 1.01)], "yahoo", now=NOW)
    second = await build_signal_report(db, settings, now=NOW)
    assert second.state is not None
    assert second.state.last_date == new_day and second.state.at_record
    # A revised close for a stored day is picked up too.
    await upsert_points(db, RUT, [(new_day, 1.0)], "yahoo", now=NOW + timedelta(hours=1))
    third = await build_signal_report(db, settings, now=NOW)
    assert third.state is not None and third.state.last_close == 1.0


def test_a_drawn_chart_leaves_no_garbage_for_the_collector(report: SignalReport) -> None:
    """draw_chart (the Discord process's) frees the figure's reference cycles itself."""
    from matplotlib.figure import Figure

    from bot.market.chart import draw_chart

    gc.disable()  # no automatic collection may free them for it
    try:
        assert png_size(draw_chart(report, "nl")) == (1200, 800)
        assert not [o for o in gc.get_objects() if isinstance(o, Figure)]
    finally:
        gc.enable()
