"""The pipeline process's memory with the default sentiment model (e5 encoder + the head).

    .venv/bin/python -m bench.pipeline_memory [--texts 2000] [--batch-size 16] [--threads 1]
        [--variant int8|fp16|fp32|all] [--tokenizer both|sentencepiece|rust] [--encoder DIR]
        [--loader plain|transformers]

Each variant runs in a process of its own, which imports what `python -m bot pipeline`
imports, loads the e5 backend through the production loader (E5Backend: with the int8 table
and our tokenizer, the plain-torch encoder of bot/sentiment/bert_encoder.py, else
AutoTokenizer/AutoModel; the shipped head) and scores article-like texts (a headline and a
300-character summary, as bot/sentiment/store.py builds them) in the pipeline's batches.
`--loader transformers` loads through AutoModel, as before the plain encoder. It prints RSS
(private RssAnon + file-backed RssFile) at each step and the peak (VmHWM).

Without --encoder, the model is multilingual-e5-small's shape with random weights (BertModel,
250,037 x 384 embeddings, 12 layers; speed and memory do not depend on the values) and its
tokenizer files at the same size: `sentencepiece.bpe.model` and the tokenizer.json converted
from it (250,002 ids: random pieces about as long as the real ones, as the tokenizers'
memory grows with their pieces). `--encoder DIR`: a real folder instead, e.g. one written by
`python -m bench.e5_convert DIR`. `fp32` is the table as loaded (before
bot/sentiment/compact.py), `fp16` the table in fp16, `int8` (what the bot does) in int8 with
a scale per row. `--tokenizer sentencepiece` is what the
bot uses when the folder has the .model file (bot/sentiment/xlmr_tokenizer.py), `rust` the
same folder without it (transformers' `tokenizers` Unigram, as before).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import ROOT
from bench._stats import status_mb
from bench.sentiment import load_headlines
from bench.spm_model import CONTROL, NORMAL, UNKNOWN, save_xlmr_tokenizer, with_pieces
from bench.translate import E5_SMALL
from bot.sentiment.xlmr_tokenizer import SPM_FILE

PIECES = 250_002  # the real tokenizer's: ids above it are unused rows of the table
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
# Latin, accented Latin, Cyrillic, Greek, CJK: about 10 UTF-8 bytes per piece, as the real
# vocabulary (5.5 characters, 10.3 bytes on average).
_ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz",
    "àáâäçèéêëíïñóöúüß",
    "абвгдежзийклмнопрстуфхцчшщыэюя",
    "αβγδεζηθικλμνξοπρστυφχψω",
    "".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000, 7)),
]


def article_texts(n: int) -> tuple[list[str], list[str]]:
    """A headline plus the next headlines as its 'summary', cut at 300 characters."""
    heads, languages = load_headlines()
    texts = [
        f"{heads[i % len(heads)]}. "
        + " ".join(heads[(i + k) % len(heads)] for k in range(1, 5))[:300]
        for i in range(n)
    ]
    return texts, [languages[i % len(languages)] for i in range(n)]


def random_pieces(count: int, seed: int = 0) -> list[str]:
    """`count` distinct pieces shaped like the real vocabulary's: 5.5 characters and 10.3
    UTF-8 bytes on average, sharing prefixes about as much (750,000 distinct byte prefixes
    against the real 783,000; the tokenizer's trie has one node per prefix). Three in ten
    extend an earlier piece by a character, the rest are new: 1-6 characters of one script,
    most after the word-start mark."""
    rng = random.Random(seed)
    pieces: dict[str, None] = {}
    made: list[tuple[str, str]] = []
    while len(pieces) < count:
        if made and rng.random() < 0.3:
            base, alphabet = made[rng.randrange(len(made))]
            if len(base) >= 16:
                continue
            piece = base + rng.choice(alphabet)
        else:
            alphabet = rng.choices(_ALPHABETS, weights=[50, 10, 15, 5, 20])[0]
            body = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
            piece = ("\u2581" if rng.random() < 0.62 else "") + body
        if piece not in pieces:
            pieces[piece] = None
            made.append((piece, alphabet))
    return list(pieces)


def _vocabulary(texts: list[str]) -> list[tuple[str, float]]:
    """PIECES ids numbered as XLM-R's: fairseq's four specials, every character and word of
    the texts, random pieces shaped like the real vocabulary's, <mask> last."""
    pieces: dict[str, None] = dict.fromkeys(SPECIALS)
    for text in texts:
        for word in text.split():
            pieces.setdefault("\u2581" + word)
            pieces.update(dict.fromkeys(word))
    pieces.update(dict.fromkeys(random_pieces(PIECES)))
    vocab = [(p, 0.0 if p in SPECIALS else -1.0 - i / 1e4) for i, p in enumerate(pieces)]
    vocab = vocab[: PIECES - 1]
    # The texts' pieces at random ids, as in the real vocabulary: the rows they read are
    # spread over the whole table (which decides how much of a mapped fp32 table is touched).
    rest = vocab[len(SPECIALS) :]
    random.Random(1).shuffle(rest)
    return vocab[: len(SPECIALS)] + rest + [("<mask>", 0.0)]


def sentencepiece_model(vocab: list[tuple[str, float]], workdir: Path) -> bytes:
    """The .model file of `vocab` (sentencepiece ids: fairseq's minus one, <unk> <s> </s>
    first), with the specs (nmt_nfkc normalisation, as XLM-R's) of a tiny model trained here:
    training 250,000 pieces would take hours, writing them takes seconds."""
    import sentencepiece as spm

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(["a tiny model for its specs"] * 10),
        model_prefix=str(workdir / "specs"),
        vocab_size=20,
        model_type="unigram",
        normalization_rule_name="nmt_nfkc",
        hard_vocab_limit=False,
        minloglevel=2,
    )
    pieces = [("<unk>", 0.0, UNKNOWN), ("<s>", 0.0, CONTROL), ("</s>", 0.0, CONTROL)]
    pieces += [(p, score, NORMAL) for p, score in vocab[len(SPECIALS) : -1]]
    return with_pieces((workdir / "specs.model").read_bytes(), pieces)


def xlmr_tokenizer_files(path: Path, texts: list[str]) -> None:
    """sentencepiece.bpe.model plus the tokenizer.json transformers converts from it (its
    XLMRobertaConverter: the pieces' scores, the model's NFKC map), as the hub folder has."""
    vocab = _vocabulary(texts)
    model = sentencepiece_model(vocab, path)
    for leftover in path.glob("specs.*"):
        leftover.unlink()
    (path / SPM_FILE).write_bytes(model)
    save_xlmr_tokenizer(path, vocab, model)


def save_random_e5_apart(path: Path) -> None:
    """`save_random_e5` in a process of its own: torch must not count in the caller's RSS
    (bench.interactions measures its own process; bench.pass_memory keeps it small)."""
    code = (
        "import sys, pathlib, bench.pipeline_memory as b; "
        "b.save_random_e5(pathlib.Path(sys.argv[1]))"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True)


def save_random_e5(path: Path) -> None:
    """multilingual-e5-small's folder with random weights (bench.interactions uses it too)."""
    import torch
    from transformers import BertConfig, BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    torch.manual_seed(0)
    BertModel(BertConfig(**E5_SMALL)).save_pretrained(path)
    texts, _ = article_texts(2000)
    xlmr_tokenizer_files(path, texts)


def without_sentencepiece(folder: Path, path: Path) -> Path:
    """The same folder without the .model file (links): the transformers tokenizer loads."""
    path.mkdir()
    for item in folder.iterdir():
        if item.name != SPM_FILE:
            (path / item.name).symlink_to(item.resolve())
    return path


def _memory() -> dict[str, float]:
    return status_mb("VmRSS", "RssAnon", "RssFile", "VmHWM")


def _line(step: str) -> None:
    m = _memory()
    print(
        f"  {step:<34} RSS {m['VmRSS']:5.0f} MB (private {m['RssAnon']:4.0f}, "
        f"file {m['RssFile']:4.0f}); peak {m['VmHWM']:5.0f} MB",
        flush=True,
    )


def measure(
    encoder: Path, variant: str, n: int, batch_size: int, threads: int, plain: bool = True
) -> None:
    """One process: what the pipeline process holds, step by step."""
    _line("python")
    import bot.cli.pipeline  # what `python -m bot pipeline` imports
    import bot.runtime.jobs  # noqa: F401

    _line("the pipeline's modules")
    import torch  # noqa: F401

    _line("+ torch")  # transformers comes with the load when the loader uses it (AutoModel)
    from bot.sentiment.e5_backend import E5Backend

    # The loader's line naming the tokenizer it chose.
    logging.basicConfig(level=logging.WARNING, format="  %(message)s")
    logging.getLogger("bot.sentiment.e5_backend").setLevel(logging.INFO)
    backend = E5Backend(
        str(encoder),
        batch_size=batch_size,
        threads=threads,
        fp16_embeddings=variant == "fp16",
        int8_table=variant == "int8",
        plain=plain,
    )
    start = time.perf_counter()
    backend.load()
    seconds = time.perf_counter() - start
    _line(f"loaded ({seconds:.1f} s)")
    print(f"  transformers imported: {'yes' if 'transformers' in sys.modules else 'no'}")
    texts, languages = article_texts(n)
    cpu = time.process_time()
    for i in range(0, n, batch_size):
        backend.score_batch(texts[i : i + batch_size], languages[i : i + batch_size])
        if i == 0:
            _line(f"after the first {batch_size} texts")
    cpu = time.process_time() - cpu
    _line(f"after {n:,} texts ({n / cpu:.0f}/CPU-s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=16, help="SENTIMENT_BATCH_SIZE")
    parser.add_argument("--threads", type=int, default=1, help="TORCH_THREADS")
    parser.add_argument(
        "--variant",
        choices=["all", "fp32", "fp16", "int8"],
        default="int8",
        help="the word-embedding table (default: the bot's, int8)",
    )
    parser.add_argument(
        "--tokenizer",
        choices=["both", "sentencepiece", "rust"],
        default="both",
        help="ours (the folder's sentencepiece.bpe.model) or transformers' (without it)",
    )
    parser.add_argument("--encoder", type=Path, help="a real encoder folder (default: random)")
    parser.add_argument(
        "--loader",
        choices=["plain", "transformers"],
        default="plain",
        help="the bot's plain-torch BERT encoder (default) or AutoModel (before)",
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # (internal) one run
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.measure:
        plain = args.loader == "plain"
        measure(args.measure, args.variant, args.texts, args.batch_size, args.threads, plain)
        return
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load}")
    with tempfile.TemporaryDirectory() as tmp:
        encoder = args.encoder
        if encoder is None:
            encoder = Path(tmp) / "random-e5-small"
            print(f"saving multilingual-e5-small's shape with random weights to {encoder}")
            code = (
                "import sys, pathlib, bench.pipeline_memory as b; "
                "b.save_random_e5(pathlib.Path(sys.argv[1]))"
            )
            subprocess.run([sys.executable, "-c", code, str(encoder)], cwd=ROOT, check=True)
        folders = {"sentencepiece": encoder}
        if args.tokenizer != "sentencepiece":
            folders["rust"] = without_sentencepiece(encoder, Path(tmp) / "rust-tokenizer")
        if args.tokenizer == "rust":
            del folders["sentencepiece"]
        variants = ["fp32", "fp16", "int8"] if args.variant == "all" else [args.variant]
        for (tokenizer, folder), variant in itertools.product(folders.items(), variants):
            print(
                f"{variant} table, {tokenizer} tokenizer, batches of {args.batch_size}, "
                f"{args.threads} thread(s), {args.loader} loader:"
            )
            subprocess.run(
                [
                    sys.executable, "-m", "bench.pipeline_memory", "--measure", str(folder),
                    "--variant", variant, "--texts", str(args.texts),
                    "--batch-size", str(args.batch_size), "--threads", str(args.threads),
                    "--loader", args.loader,
                ],
                cwd=ROOT,
                check=True,
                env={**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")},
            )  # fmt: skip
    print(f"load average now {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
