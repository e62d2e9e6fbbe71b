"""The sentiment and models commands through the real CLI entry point."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.sentiment.lexicon import LexiconBackend
from bot.sentiment.store import score_pending
from bot.storage import Database
from tests.sentiment.test_store_and_aggregate import add_articles


def write_csv(path: Path, rows: list[tuple[str, str]], header: str = "id,headline,label") -> Path:
    lines = [header] + [f'{n},"{text}",{label}' for n, (text, label) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_eval_prints_metrics_and_confusion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_csv(
        tmp_path / "dev.csv",
        [
            ("Bitcoin surges to record high", "1"),
            ("Exchange hacked, funds stolen", "-1"),
            ("Coinbase names new CFO", "0"),
            ("Ether crashes", "1"),  # the lexicon gets this one wrong
        ],
    )
    assert main(["sentiment", "eval", str(data), "--backend", "lexicon"]) == 0
    out = capsys.readouterr().out
    assert "on 4 texts" in out
    assert "Accuracy: 75.0%" in out
    assert "macro-F1: 0.778" in out  # bullish 2/3, bearish 2/3, neutral 1
    matrix = out.split("predicted):")[1].splitlines()
    bullish_row = next(line for line in matrix if line.startswith("bullish"))
    assert bullish_row.split()[1:] == ["1", "0", "1"]


def test_eval_word_labels_and_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "words.csv"
    data.write_text("text,tone\nKoers stijgt fors,positive\nKoers keldert,negative\n", "utf-8")
    code = main(
        [
            "sentiment",
            "--lang",
            "nl",
            "eval",
            str(data),
            "--text-column",
            "text",
            "--label-column",
            "tone",
            "--language",
            "nl",
            "--backend",
            "lexicon",
        ]
    )
    assert code == 0
    assert "Nauwkeurigheid: 100,0%" in capsys.readouterr().out


def test_eval_bad_file_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_csv(tmp_path / "bad.csv", [("x", "maybe")])
    assert main(["sentiment", "eval", str(bad), "--backend", "lexicon"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert main(["sentiment", "eval", str(tmp_path / "missing.csv")]) == 2


def test_aggregate_is_the_default_action(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sentiment", "--period", "7d", "--coin", "btc"]) == 0
    out = capsys.readouterr().out
    assert "BTC" in out
    assert "No scored articles" in out
    assert "Nothing scored yet" in out


async def test_aggregate_prints_counts_and_basis(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    await add_articles(
        db,
        [
            ("Bitcoin surges to record high", "en", now - timedelta(hours=2), ["BTC"]),
            ("Bitcoin koers keldert na hack", "nl", now - timedelta(hours=3), ["BTC"]),
            ("Bitcoin rallies", "en", now - timedelta(hours=4), ["BTC"]),
            ("Ether crashes", "en", now - timedelta(hours=30), ["ETH"]),
        ],
    )
    await score_pending(db, LexiconBackend())
    # The CLI runs its own event loop, so it goes in a thread here.
    code = await asyncio.to_thread(main, ["sentiment", "--coin", "BTC", "--lang", "nl"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Sentiment rond BTC over de afgelopen 24 uur" in out
    assert "Artikelen: 3" in out
    assert "offline woordenlijst" in out
    assert "Vorige periode: geen beoordeelde artikelen." in out


def test_models_download_fails_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import huggingface_hub

    def unreachable(repo_id: str, **kwargs: object) -> list[str]:
        raise ConnectionError("[Errno -2] Name or service not known")

    monkeypatch.setattr(huggingface_hub, "list_repo_files", unreachable)
    assert main(["models", "download"]) == 1
    err = capsys.readouterr().err.strip()
    # Without SENTIMENT_MODEL the model to fetch is the e5 encoder the shipped head reads.
    assert err.startswith("error: cannot download intfloat/multilingual-e5-small")
    assert "\n" not in err and "Traceback" not in err


def test_models_download_leaves_local_paths_alone(
    positive_model: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SENTIMENT_MODEL", str(positive_model))
    monkeypatch.setenv("TRANSLATION_ENABLED", "off")  # else the translation models too
    assert main(["models", "download"]) == 0
    assert str(positive_model) in capsys.readouterr().out
