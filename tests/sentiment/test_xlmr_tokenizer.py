"""Our sentencepiece XLM-R tokenizer against the transformers one on the same vocabulary."""

from __future__ import annotations

import json
import logging
import shutil
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest

from bot.sentiment.e5_backend import E5Backend, load_encoder
from bot.sentiment.e5_head import fit
from bot.sentiment.xlmr_tokenizer import SPM_FILE, XlmrSentencePiece, xlmr_sentencepiece
from tests.sentiment.xlmr_folder import build_xlmr_folder

CORPUS = [
    "Bitcoin rallies to a record high as ETF approval nears",
    "bitcoin koers stijgt na goedkeuring etf",
    "Crypto-beurs daalt: liquidaties nemen toe, beleggers bang?",
    "Café résumé naïve über ça één reünie coördinatie Ångström øre",
    "Ｆｕｌｌ ｗｉｄｔｈ ＡＢＣ１２３ ﬁnance ① ㎏ ㎞ Ⅻ ½ ™ ℃",
    "emoji 🚀🚀 to the moon 🌕, bears 🐻 and bulls 🐂 👍🏽",
    "unseen letters: 比特币 биткоин Ελλάδα ทดสอบ",
    "  leading, trailing and   multiple   spaces  ",
    "tabs\tand\nnew lines\r\nand non\u00a0breaking\u2003spaces",
    "quotes ``like this'' and \u201ccurly\u201d \u2018ones\u2019 \u2014 dashes \u2013 …",
    "decomposed cafe\u0301 and combining n\u0303 vs ñ",
    "zero\u200bwidth and soft\u00adhyphen",
    "ETH/BTC +3.5% (24h) @ $3,412.50 — #DeFi $SOL 1e-9",
    "",
    " ",
    "x",
    "▁ already a meta space ▁▁",
    "<s> not a special token </s> <pad> <unk> <mask>",
    "Long " + "Bitcoin koers stijgt na goedkeuring van de ETF, café ＡＢＣ 🚀 " * 30,
]


@pytest.fixture(scope="module")
def xlmr_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_xlmr_folder(tmp_path_factory.mktemp("xlmr"))


@pytest.fixture(scope="module")
def transformers_tokenizer(xlmr_folder: Path) -> object:
    """What load_encoder gave before: AutoTokenizer on the folder (tokenizer.json)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(xlmr_folder))


def _ours(folder: Path) -> XlmrSentencePiece:
    found = xlmr_sentencepiece(str(folder), None, 512)
    assert found is not None
    return found


@pytest.mark.parametrize("max_length", [512, 24, 3])
def test_ids_and_masks_match_transformers(
    xlmr_folder: Path, transformers_tokenizer: object, max_length: int
) -> None:
    ours = _ours(xlmr_folder)
    for batch in ([t] for t in CORPUS):
        expected = transformers_tokenizer(  # type: ignore[operator]
            batch, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
        )
        got = ours(batch, padding=True, truncation=True, max_length=max_length)
        assert got["input_ids"].tolist() == expected["input_ids"].tolist(), batch
        assert got["attention_mask"].tolist() == expected["attention_mask"].tolist(), batch


def test_padded_batches_match_transformers(
    xlmr_folder: Path, transformers_tokenizer: object
) -> None:
    ours = _ours(xlmr_folder)
    for size in (2, 5, len(CORPUS)):
        for start in range(0, len(CORPUS), size):
            batch = CORPUS[start : start + size]
            expected = transformers_tokenizer(  # type: ignore[operator]
                batch, padding=True, truncation=True, max_length=40, return_tensors="pt"
            )
            got = ours(batch, padding=True, truncation=True, max_length=40)
            assert got["input_ids"].dtype == expected["input_ids"].dtype
            assert got["input_ids"].tolist() == expected["input_ids"].tolist()
            assert got["attention_mask"].tolist() == expected["attention_mask"].tolist()


def test_the_numbering_is_fairseq_s(xlmr_folder: Path, transformers_tokenizer: object) -> None:
    ours = _ours(xlmr_folder)
    assert len(ours) == len(transformers_tokenizer)  # type: ignore[arg-type]
    [row] = ours(["比特币"])["input_ids"].tolist()
    assert row[0] == 0 and row[-1] == 2 and 3 in row[1:-1]  # unknown characters: <unk>=3
    plain = [t for t in CORPUS if "<" not in t]
    assert max(max(r) for r in ours(plain)["input_ids"].tolist()) < len(ours) - 1  # < <mask>
    [special] = ours(["a <mask> b"])["input_ids"].tolist()
    assert special[0] == 0 and len(ours) - 1 in special
    assert ours.model_max_length == 512


def test_other_sentencepiece_numbering_is_refused(tmp_path: Path) -> None:
    import sentencepiece as spm

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS[:6] * 10),
        model_prefix=str(tmp_path / "m"),
        vocab_size=60,
        hard_vocab_limit=False,
        pad_id=0,
        unk_id=1,
        bos_id=2,
        eos_id=3,
        minloglevel=2,
    )
    with pytest.raises(ValueError, match="not numbered like XLM-R"):
        XlmrSentencePiece(tmp_path / "m.model", 512)


def _head(folder: Path, tmp_path: Path) -> Path:
    texts = [
        "query: bitcoin rallies to a record high",
        "query: crypto beurs daalt, liquidaties",
        "query: markets are calm",
    ]
    encoder = load_encoder(str(folder), fp16_embeddings=False)
    rows = np.hstack([encoder.embed(texts), np.zeros((3, 4), dtype=np.float32)])
    labels = ["bullish", "bearish", "neutral"]
    meta = {"hidden_size": 16, "encoder": str(folder), "name": "tiny", "prefix": "query: "}
    head = fit(np.vstack([rows, rows]), labels * 2, l2=1e-6, steps=300, meta=meta)
    head.save(tmp_path / "tiny.npz")
    return tmp_path / "tiny.npz"


def test_load_encoder_picks_ours_and_scores_the_same(
    xlmr_folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    without = tmp_path / "without-spm"
    shutil.copytree(xlmr_folder, without)
    (without / SPM_FILE).unlink()
    with caplog.at_level(logging.INFO, logger="bot.sentiment.e5_backend"):
        ours = load_encoder(str(xlmr_folder))
        theirs = load_encoder(str(without))
    assert isinstance(ours.tokenizer, XlmrSentencePiece)
    assert not isinstance(theirs.tokenizer, XlmrSentencePiece)
    assert "sentencepiece tokenizer" in caplog.text and "transformers tokenizer" in caplog.text
    assert ours.max_length == theirs.max_length == 64
    np.testing.assert_array_equal(ours.embed(CORPUS, 4), theirs.embed(CORPUS, 4))

    head = _head(xlmr_folder, tmp_path)
    languages = ["en"] * len(CORPUS)
    # The same encoder code on both sides (AutoModel): this test is about the tokenizer; the
    # plain-torch encoder is compared with AutoModel in test_bert_encoder.py.
    a = E5Backend(str(xlmr_folder), head_path=head, plain=False).score_batch(CORPUS, languages)
    b = E5Backend(str(without), head_path=head).score_batch(CORPUS, languages)
    assert [(r.label, r.score, r.confidence) for r in a] == [
        (r.label, r.score, r.confidence) for r in b
    ]
    assert len({r.label for r in a}) > 1  # the head tells the texts apart


def test_other_tokenizer_classes_fall_back(xlmr_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "bert-style"
    shutil.copytree(xlmr_folder, folder)
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    config["tokenizer_class"] = "TokenizersBackend"
    (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    assert xlmr_sentencepiece(str(folder), None, 512) is None
    assert not isinstance(load_encoder(str(folder)).tokenizer, XlmrSentencePiece)


def test_hub_ids_without_a_cached_file_fall_back(tmp_path: Path) -> None:
    assert xlmr_sentencepiece("intfloat/multilingual-e5-small", tmp_path, 512) is None


def test_models_download_fetches_the_sentencepiece_model() -> None:
    from bot.sentiment.download import _NEEDED

    for name in (SPM_FILE, "tokenizer.json", "tokenizer_config.json", "config.json"):
        assert any(fnmatch(name, pattern) for pattern in _NEEDED), name
