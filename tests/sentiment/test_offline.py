"""The trained offline backend: the shipped weights, the train command, and what it imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from bot.config import load_settings
from bot.i18n import use_language
from bot.sentiment.factory import describe_backend, load_backend
from bot.sentiment.offline_model import OfflineBackend, OfflineModelError
from tests.sentiment.test_cli import write_csv

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped() -> OfflineBackend:
    backend = OfflineBackend()
    backend.load()
    return backend


def test_shipped_model_scores_both_languages(shipped: OfflineBackend) -> None:
    results = shipped.score_batch(
        ["Bitcoin crashes after exchange hack", "Bitcoin koers stijgt naar recordhoogte", ""],
        ["en", "nl", "de"],
    )
    assert [r.label for r in results[:2]] == ["bearish", "bullish"]
    assert {r.backend for r in results} == {"offline"}
    assert results[0].model == shipped.model == "offline-v1"
    for r in results:
        assert -1.0 <= r.score <= 1.0 and 0.0 <= r.confidence <= 1.0
    assert results[0].score < 0 < results[1].score
    assert (results[2].label, results[2].score, results[2].confidence) == ("neutral", 0.0, 0.0)


@pytest.mark.parametrize(
    ("text", "language", "label"),
    [
        ("Short sellers liquidated as BTC squeezes higher", "en", "bullish"),
        ("Bitcoin herstelt na flinke daling", "nl", "bullish"),
        ("Koers van XRP blijft stabiel", "nl", "neutral"),
    ],
)
def test_the_issues_typical_misses(
    shipped: OfflineBackend, text: str, language: str, label: str
) -> None:
    assert shipped.score_batch([text], [language])[0].label == label


def test_offline_backend_needs_neither_torch_nor_sklearn() -> None:
    code = (
        "import sys\n"
        "from bot.sentiment.factory import offline_backend\n"
        "b = offline_backend()\n"
        "assert b.score_batch(['Bitcoin stijgt'], ['nl'])[0].backend == 'offline'\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'torch', 'scipy'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_offline_mode_and_its_description(shipped: OfflineBackend) -> None:
    backend = load_backend(load_settings(sentiment_backend="offline"))
    assert isinstance(backend, OfflineBackend)
    assert "trained offline model (offline-v1)" in describe_backend("offline", "offline-v1")
    with use_language("nl"):
        assert "getraind offline model" in describe_backend("offline", "offline-v1")


def test_missing_weights_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(OfflineModelError, match="cannot load"):
        OfflineBackend(tmp_path).load()


def test_eval_with_the_offline_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_csv(
        tmp_path / "dev.csv",
        [("Bitcoin surges to record high", "1"), ("Exchange hacked, funds stolen", "-1")],
    )
    assert main(["sentiment", "eval", str(data), "--backend", "offline"]) == 0
    out = capsys.readouterr().out
    assert "trained offline model" in out and "on 2 texts" in out


# A small Dutch training set in the shape of the real one (the test cannot rely on ../shared).
_SUBJECTS = ["Bitcoin", "Ether", "Solana", "Cardano", "Dogecoin", "Litecoin", "Polkadot", "Tron"]
_TEMPLATES = {
    "1": ["{} stijgt fors", "{} klimt naar hoogste koers", "{} profiteert van sterke vraag"],
    "-1": ["{} daalt sterk", "{} keldert na hack", "{} zakt weg door zwakke vraag"],
    "0": ["{} publiceert jaarverslag", "{} kiest nieuwe voorzitter", "{} verhuist naar Utrecht"],
}
_PATTERN = """<?xml version="1.0" encoding="utf-8"?>
<sentiment language="nl">
<word form="sterk" polarity="0.6" /><word form="sterk" polarity="0.4" />
<word form="zwak" polarity="-0.5" /><word form="nieuw" polarity="0.0" />
</sentiment>
"""


def _training_dir(path: Path) -> Path:
    rows = [
        (template.format(subject), label)
        for subject in _SUBJECTS
        for label, templates in _TEMPLATES.items()
        for template in templates
    ]
    write_csv(path / "nl_economic_headlines_dev.csv", rows)
    (path / "nl_pattern_lexicon.xml").write_text(_PATTERN, encoding="utf-8")
    return path


def test_train_command_is_reproducible_and_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _training_dir(tmp_path)
    for out in ("a", "b"):
        args = ["sentiment", "train", "--out", str(tmp_path / out), "--data-dir", str(data)]
        assert main(args) == 0
    printed = capsys.readouterr().out
    assert "nl: " in printed and "5-fold macro-F1" in printed
    for language in ("nl", "en"):
        with (
            np.load(tmp_path / "a" / f"{language}.npz") as a,
            np.load(tmp_path / "b" / f"{language}.npz") as b,
        ):
            assert sorted(a.files) == sorted(b.files)
            for key in a.files:
                assert np.array_equal(a[key], b[key]), key
    backend = OfflineBackend(tmp_path / "a")
    unseen = ["Ripple stijgt fors", "Ripple keldert na hack", "Ripple kiest nieuwe voorzitter"]
    labels = [s.label for s in backend.score_batch(unseen, ["nl"] * 3)]
    assert labels == ["bullish", "bearish", "neutral"]
    assert backend.score_batch(["Ripple crashes"], ["en"])[0].label == "bearish"


def test_train_command_without_data_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sentiment", "train", "--out", str(tmp_path / "o"), "--data-dir", "nowhere"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert not (tmp_path / "o").exists()
