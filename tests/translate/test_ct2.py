"""The CTranslate2 engine on the tiny Marian model (conftest.py): converted from its
transformers checkpoint, cached, reused, converted again when the checkpoint changes, and
never left half-written. ctranslate2 is a dependency, so nothing here is skipped."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.config import Settings
from bot.translate import ct2_convert
from bot.translate.ct2 import Ct2Translator
from bot.translate.ct2_convert import cache_root, converted
from bot.translate.marian import MarianTranslator, TranslatorLoadError
from bot.translate.service import Translators, engine_of

TEXTS = [
    "Bitcoin rallies to a record high.",
    "Markets are calm.",
    "ETF " * 200,  # cut at the model's limit
    "Ja.",
    "Whales moved 10,000 BTC to exchanges.",
]


def folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def test_converts_the_checkpoint_loads_offline_int8_and_generates(
    tiny_marian: Path, tmp_path: Path, no_network: list[str]
) -> None:
    translator = Ct2Translator(
        str(tiny_marian), "en", "nl", beams=2, batch_size=2, cache_dir=tmp_path
    )
    assert not translator.loaded
    out = translator.translate(TEXTS)
    assert translator.loaded and len(out) == len(TEXTS)
    assert all(isinstance(g.text, str) and isinstance(g.unknown, bool) for g in out)
    loaded = translator._loaded
    assert loaded is not None and loaded.translator.compute_type.startswith("int8")
    assert loaded.positions == 64  # the tiny tokenizer's and model's limit
    # converted beside the (here temporary) hub cache, one complete folder
    [name] = folders(cache_root(tmp_path))
    assert name.startswith("tiny-marian") and loaded.folder.name == name
    assert {"model.bin", "config.json", "shared_vocabulary.json"} <= set(folders(loaded.folder))
    # an engine change re-translates: the stored name differs from the torch engine's
    assert translator.model == f"{tiny_marian}@ct2-int8-b2"
    assert translator.model != MarianTranslator(str(tiny_marian), "en", "nl", beams=2).model
    assert no_network == []


def test_the_conversion_is_faithful_fp32_greedy_matches_transformers_generate(
    tiny_marian: Path, tmp_path: Path
) -> None:
    """Same weights, same tokenizer, same cap: the same tokens as torch's generate()."""
    ct2 = Ct2Translator(str(tiny_marian), "en", "nl", quantized=False, cache_dir=tmp_path)
    torch_engine = MarianTranslator(str(tiny_marian), "en", "nl", quantized=False)
    assert ct2.model.endswith("@ct2-fp32-b1")
    assert ct2.translate(TEXTS) == torch_engine.translate(TEXTS)
    assert ct2._loaded is not None and ct2._loaded.translator.compute_type == "float32"


def test_the_conversion_is_reused_and_redone_when_the_checkpoint_changes(
    tiny_marian: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = shutil.copytree(tiny_marian, tmp_path / "model")
    real, calls = ct2_convert._convert, []

    def counting(*args: object) -> None:
        calls.append(args)
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ct2_convert, "_convert", counting)
    cache = tmp_path / "hf"
    first = converted(str(source), cache)
    assert converted(str(source), cache) == first and len(calls) == 1
    # a second translator (another process, the other direction) loads the same folder
    translator = Ct2Translator(str(source), "en", "nl", cache_dir=cache)
    translator.load()
    assert translator._loaded is not None and translator._loaded.folder == first
    assert len(calls) == 1
    # the checkpoint changes (new weights, or a new config): converted again, the old
    # version removed
    config = source / "config.json"
    stat = config.stat()
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = converted(str(source), cache)
    assert second != first and len(calls) == 2
    assert folders(cache_root(cache)) == [second.name]
    # a different quantisation is a different version too
    assert converted(str(source), cache, quantization="float32") != second


def _hub_snapshot(cache: Path, model: Path, commit: str) -> None:
    """The hub cache's layout, as `models download` leaves it (offline here)."""
    repo = cache / "models--Helsinki-NLP--opus-mt-en-nl"
    shutil.copytree(model, repo / "snapshots" / commit)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit, encoding="ascii")


def test_a_hub_model_converts_from_its_snapshot_and_again_for_a_new_commit(
    tiny_marian: Path, tmp_path: Path, no_network: list[str]
) -> None:
    hub_id = "Helsinki-NLP/opus-mt-en-nl"
    with pytest.raises(TranslatorLoadError, match="opus-mt-en-nl") as raised:
        converted(hub_id, tmp_path)  # not downloaded: at once, without the network
    assert "\n" not in str(raised.value)
    _hub_snapshot(tmp_path, tiny_marian, "a" * 40)
    translator = Ct2Translator(hub_id, "en", "nl", cache_dir=tmp_path)
    assert len(translator.translate(["Markets are calm."])) == 1
    first = converted(hub_id, tmp_path)
    assert first.name.startswith("Helsinki-NLP--opus-mt-en-nl-")
    _hub_snapshot(tmp_path, tiny_marian, "b" * 40)  # the model was updated on the hub
    second = converted(hub_id, tmp_path)
    assert second != first and folders(cache_root(tmp_path)) == [second.name]
    assert no_network == []


def test_a_failed_conversion_leaves_no_half_folder_and_fails_in_one_line(
    tiny_marian: Path, tmp_path: Path
) -> None:
    broken = shutil.copytree(tiny_marian, tmp_path / "broken")
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])  # a download cut short
    translator = Ct2Translator(str(broken), "en", "nl", cache_dir=tmp_path / "hf")
    with pytest.raises(TranslatorLoadError, match=r"cannot convert model .*broken") as raised:
        translator.load()
    assert "\n" not in str(raised.value) and not translator.loaded
    assert folders(cache_root(tmp_path / "hf")) == []  # nothing a later load could take


def test_a_crash_halfway_through_writing_leaves_nothing_a_load_would_use(
    tiny_marian: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ct2_convert._convert

    def dies_halfway(source: Path, out: Path, quantization: str) -> None:
        real(source, out, quantization)
        (out / "model.bin").write_bytes(b"half")
        raise OSError("No space left on device")

    monkeypatch.setattr(ct2_convert, "_convert", dies_halfway)
    with pytest.raises(TranslatorLoadError, match="No space left on device"):
        converted(str(tiny_marian), tmp_path)
    assert folders(cache_root(tmp_path)) == []
    monkeypatch.setattr(ct2_convert, "_convert", real)
    folder = converted(str(tiny_marian), tmp_path)  # the next attempt starts clean
    assert (folder / "model.bin").stat().st_size > 100


def test_a_direction_whose_conversion_fails_is_switched_off_in_auto_mode(
    settings: Settings, tiny_marian: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_marian = shutil.copytree(tiny_marian, tmp_path / "odd")
    (not_marian / "config.json").write_text('{"model_type": "marian"', encoding="utf-8")
    s = settings.model_copy(
        update={
            "translation_engine": "ctranslate2",
            "translation_model_en_nl": str(not_marian),
            "translation_model_nl_en": str(tiny_marian),
            "hf_cache_dir": tmp_path / "hf",
        }
    )
    translators = Translators(s)
    assert translators.load("nl") is None
    assert "cannot convert model" in (translators.off_reason("nl") or "")
    assert isinstance(translators.load("en"), Ct2Translator)  # the other direction works
    assert "translation into nl is off" in caplog.text


def test_the_engine_setting(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings.translation_engine == "auto"
    assert engine_of(settings) == "ctranslate2"  # installed: a dependency
    assert isinstance(Translators(settings).build("nl"), Ct2Translator)
    torch_only = settings.model_copy(update={"translation_engine": "torch"})
    assert isinstance(Translators(torch_only).build("nl"), MarianTranslator)
    assert Translators(torch_only).convert("nl") is None
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ctranslate2" else real(name, *a),
    )
    assert engine_of(settings) == "torch"  # auto without ctranslate2
    assert engine_of(settings.model_copy(update={"translation_engine": "ctranslate2"})) == (
        "ctranslate2"
    )


def test_greedy_calls_take_64_segments_beam_16_and_results_keep_their_order(
    tiny_marian: Path, tmp_path: Path
) -> None:
    translator = Ct2Translator(str(tiny_marian), "en", "nl", cache_dir=tmp_path)
    assert translator.default_batch() == 64
    translator.beams = 4
    assert translator.default_batch() == 16
    translator.beams = 1
    translator.load()
    loaded = translator._loaded
    assert loaded is not None
    sizes: list[int] = []

    class Echo:  # writes its input back: each output names the segment it belongs to
        def translate_batch(self, source: list[list[str]], **options: object) -> object:
            sizes.append(len(source))
            return [SimpleNamespace(hypotheses=[tokens[:-1]]) for tokens in source]

    texts = [f"Markets moved {'up ' * (i % 7)}{'down ' * (i // 7)}today." for i in range(70)]
    loaded.translator = Echo()
    out = translator.translate(texts)
    assert sorted(sizes) == [6, 64]
    # length-sorted batches are mapped back: each result is its own input's (as cut)
    tok = loaded.tokenizer
    cut = tok(texts, truncation=True, max_length=loaded.positions)["input_ids"]
    assert [g.text for g in out] == [tok.decode(ids, skip_special_tokens=True) for ids in cut]
    assert len(set(texts)) == 70


def test_translation_threads_sets_ctranslate2s_threads_else_torch_threads(
    settings: Settings, tiny_marian: Path, tmp_path: Path
) -> None:
    base = settings.model_copy(
        update={"translation_model_en_nl": str(tiny_marian), "hf_cache_dir": tmp_path}
    )
    assert base.translation_threads == 0
    assert Translators(base.model_copy(update={"torch_threads": 3})).build("nl").threads == 3
    both = base.model_copy(update={"torch_threads": 1, "translation_threads": 2})
    assert Translators(both).build("nl").threads == 2  # what Translator(intra_threads=) gets
