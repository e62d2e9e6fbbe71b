"""SentencePiece model files written without protobuf (not installed here).

A `.model` file is a protobuf ModelProto: field 1 the pieces (piece, score, type), 2 the
trainer spec, 3 the normalizer spec (the precompiled NFKC map among it). `with_pieces` keeps
a trained model's specs and swaps its pieces, which writes a vocabulary of any size in
seconds where training one would take hours; `normalizer_charsmap` reads the map that a
converter puts in tokenizer.json's Precompiled normalizer.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path

NORMAL, UNKNOWN, CONTROL = 1, 2, 3  # SentencePiece.Type


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _put_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def fields(data: bytes) -> Iterator[tuple[int, int, bytes | int]]:
    """(field number, wire type, value) of one message's top-level fields."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            yield number, wire, value
        elif wire == 2:
            size, pos = _varint(data, pos)
            yield number, wire, data[pos : pos + size]
            pos += size
        elif wire == 5:
            yield number, wire, data[pos : pos + 4]
            pos += 4
        elif wire == 1:
            yield number, wire, data[pos : pos + 8]
            pos += 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _field(number: int, payload: bytes) -> bytes:
    return _put_varint(number << 3 | 2) + _put_varint(len(payload)) + payload


def piece_message(piece: str, score: float, kind: int) -> bytes:
    return (
        _field(1, piece.encode("utf-8"))
        + _put_varint(2 << 3 | 5)
        + struct.pack("<f", score)
        + _put_varint(3 << 3)
        + _put_varint(kind)
    )


def with_pieces(trained: bytes, pieces: list[tuple[str, float, int]]) -> bytes:
    """A trained model's bytes with its pieces replaced (its specs kept as they are)."""
    specs = [
        _field(number, value)
        for number, wire, value in fields(trained)
        if number != 1 and wire == 2 and isinstance(value, bytes)
    ]
    return b"".join(_field(1, piece_message(*p)) for p in pieces) + b"".join(specs)


def normalizer_charsmap(model: bytes) -> bytes:
    """The precompiled character map of a model's normalizer spec (b"" if it has none)."""
    for number, _, spec in fields(model):
        if number == 3 and isinstance(spec, bytes):
            for inner, _, value in fields(spec):
                if inner == 2 and isinstance(value, bytes):
                    return value
    return b""


def save_xlmr_tokenizer(path: Path, vocab: list[tuple[str, float]], model: bytes) -> None:
    """The tokenizer.json and tokenizer_config.json transformers' XLMRobertaConverter writes
    for the SentencePiece `model` whose fairseq-numbered pieces are `vocab` (its NFKC map as
    the normalizer), named XLMRobertaTokenizer as in the hub's folder."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(Unigram(vocab, unk_id=3, byte_fallback=False))  # type: ignore[arg-type]
    tok.normalizer = normalizers.Precompiled(normalizer_charsmap(model))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(  # type: ignore[assignment]
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        cls_token="<s>",
        sep_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=512,
    )
    fast.save_pretrained(path)
    config_file = path / "tokenizer_config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "XLMRobertaTokenizer"
    config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")
