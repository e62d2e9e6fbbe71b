"""`python -m bot translate`: one text and `eval FILE`, on the tiny model, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.translate import read_pairs
from bot.config import ConfigError


@pytest.fixture(params=["ctranslate2", "torch"])
def tiny_env(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tiny_marian: Path,
    tmp_path: Path,
) -> None:
    """The tiny model on both engines (auto picks CTranslate2, which is installed)."""
    monkeypatch.setenv("TRANSLATION_ENGINE", request.param)
    monkeypatch.setenv("HF_CACHE_DIR", str(tmp_path / "hf"))  # the conversion goes there
    monkeypatch.setenv("TRANSLATION_MODEL_EN_NL", str(tiny_marian))
    monkeypatch.setenv("TRANSLATION_MODEL_NL_EN", str(tiny_marian))


def test_one_text_shows_the_masked_form_and_an_outcome(
    tiny_env: None,
    no_network: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("TRANSLATION_MODEL_NL_EN", str(tmp_path / "absent"))  # not needed here
    code = main(["translate", "$BTC jumps 5% to", "$70,000.", "--to", "nl"])
    out, err = capsys.readouterr()
    assert "ZXQA jumps 5% to $70,000." in out
    # random weights: a translation (0), or the original with the reason (1)
    assert code == 0 or (code == 1 and "kept the original" in err and "$BTC jumps" in out)
    assert no_network == []


def test_eval_prints_chrf_and_bleu(
    tiny_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "# source<TAB>reference\n\nBitcoin rallies.\tBitcoin stijgt.\n"
        "Markets are calm.\tDe markten zijn kalm.\n",
        encoding="utf-8",
    )
    assert main(["translate", "eval", str(pairs), "--to", "nl"]) == 0
    out = capsys.readouterr().out
    assert "pairs: 2" in out and "chrF: " in out and "BLEU: " in out


def test_bad_pair_files_and_missing_models_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("no tab here\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1"):
        read_pairs(bad)
    monkeypatch.setenv("TRANSLATION_MODEL_EN_NL", str(tmp_path / "nothing"))
    assert main(["translate", "hello there", "--to", "nl"]) == 2
    err = capsys.readouterr().err
    assert "cannot load model" in err and "nothing" in err and "models download" in err


def test_models_download_includes_both_translation_models(
    tiny_marian: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_network: list[str],
) -> None:
    sentiment = tmp_path / "sentiment"
    sentiment.mkdir()
    nl_en = tmp_path / "nl-en"
    nl_en.mkdir()
    monkeypatch.setenv("SENTIMENT_MODEL", str(sentiment))  # local folders are left alone
    monkeypatch.setenv("TRANSLATION_MODEL_EN_NL", str(tiny_marian))
    monkeypatch.setenv("TRANSLATION_MODEL_NL_EN", str(nl_en))
    monkeypatch.setenv("TRANSLATION_ENGINE", "torch")  # nothing to convert
    assert main(["models", "download"]) == 0
    out = capsys.readouterr().out
    assert str(tiny_marian) in out and str(nl_en) in out and "CTranslate2" not in out
    assert no_network == []


def test_models_download_converts_for_ctranslate2_so_the_first_pass_does_not(
    tiny_marian: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_network: list[str],
) -> None:
    from bot.translate import ct2_convert
    from bot.translate.ct2_convert import cache_root

    sentiment = tmp_path / "sentiment"
    sentiment.mkdir()
    monkeypatch.setenv("SENTIMENT_MODEL", str(sentiment))
    monkeypatch.setenv("TRANSLATION_MODEL_EN_NL", str(tiny_marian))
    monkeypatch.setenv("TRANSLATION_MODEL_NL_EN", str(tiny_marian))
    monkeypatch.setenv("HF_CACHE_DIR", str(tmp_path / "hf"))
    assert main(["models", "download"]) == 0  # TRANSLATION_ENGINE=auto: CTranslate2
    out = capsys.readouterr().out
    [folder] = cache_root(tmp_path / "hf").iterdir()  # one model for both directions here
    real_convert = ct2_convert._convert
    assert out.count(f"CTranslate2 {folder}") == 2
    # the pipeline's first load then converts nothing
    monkeypatch.setattr(ct2_convert, "_convert", lambda *a: pytest.fail("converted again"))
    code = main(["translate", "Markets are calm.", "--to", "nl"])
    assert code in (0, 1) and no_network == []
    capsys.readouterr()
    # a checkpoint that cannot be converted fails the build step, in one line
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("TRANSLATION_MODEL_NL_EN", str(broken))
    monkeypatch.setattr(ct2_convert, "_convert", real_convert)
    assert main(["models", "download"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot convert model") and "broken" in err and "\n" not in err


def test_the_download_allow_list_keeps_the_marian_tokenizer_files() -> None:
    from fnmatch import fnmatch

    from bot.sentiment.download import _NEEDED

    for name in ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json"):
        assert any(fnmatch(name, pattern) for pattern in _NEEDED), name
