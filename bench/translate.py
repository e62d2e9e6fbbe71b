"""Translation benchmark: time for 50 new stories, and the pipeline process's peak memory.

    .venv/bin/python -m bench.translate [--engine ctranslate2|torch] [--stories 50]
        [--skip-speed] [--skip-memory] [--sentiment-encoder DIR] [--pieces opus|unigram|bpe]
        [--batch N] [--threads N]

The models are random weights in the shape of the defaults (Helsinki-NLP/opus-mt-en-nl and
-nl-en, Marian base: d_model 512, 6+6 layers, 8 heads, FFN 2048, swish, shared vocabulary
67,028, 512 positions), saved to a temporary folder as transformers checkpoints and loaded
through the production path of the chosen engine (default: the production default,
TRANSLATION_ENGINE=auto): `ctranslate2` = Ct2Translator (the checkpoint converted to int8
first, as `models download` does, then CTranslate2 int8 on one thread), `torch` =
MarianTranslator (AutoModelForSeq2SeqLM, dynamic int8, one torch thread). Speed does not
depend on weight values, only on how many tokens come out: random weights would stop at
random, so the end-of-sentence token is suppressed and every segment runs to a fixed length:
the cap the bot sets per batch (1.5 x input + 10 tokens, what a looping model costs) and 1.2
x its own input (about what a real model writes for Dutch from English before it stops; each
greedy segment is stopped there by a step callback and leaves its batch, as at a real end
token; beam search has no callback, so there each runs to 1.2 x its batch's longest). The
tokenizer is a SentencePiece model trained here on the bundled sample feeds; the default
(`--pieces opus`) is sized so the bench texts split into OPUS-MT's tokens per word (see
OPUS_TOKENS_PER_WORD), one shape to read against the target; unigram (about 2.0 a word)
brackets it from above. The stories are the English ones of those feeds with a summary
(title + summary, through the bot's cleaning); what is timed is what the first try sends
(engine.first_inputs: each distinct segment with words to translate, once).

Memory runs in fresh processes: the sentiment model in its default shape (the e5 backend:
multilingual-e5-small's BertModel, 12 layers, 384 wide, 250,037 vocabulary, random weights,
fp32 as SENTIMENT_ENCODER_QUANTIZE=false, with the shipped head; or a real encoder folder
with --sentiment-encoder, e.g. one made by bench/e5_convert.py) plus both translation models,
or plus one, each used once greedy and then with beam 4.
Figures: wall and process-CPU seconds (on a shared machine CPU time is the fairer number;
with one thread they agree when the machine is idle), peak RSS, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import ROOT
from bench._mt_shape import (
    OPUS_TOKENS_PER_WORD,
    StopAt,
    bench_segments,
    python_side,
    timed,
    tokens_per_word,
    train_pieces,
)
from bench._stats import peak_rss_mb, rss_mb, status_mb

SAMPLES = ROOT / "bot" / "data" / "sample_feeds"
MARIAN_BASE = {
    "d_model": 512,
    "encoder_layers": 6,
    "decoder_layers": 6,
    "encoder_attention_heads": 8,
    "decoder_attention_heads": 8,
    "encoder_ffn_dim": 2048,
    "decoder_ffn_dim": 2048,
    "activation_function": "swish",
    "max_position_embeddings": 512,
    "scale_embedding": True,
    "share_encoder_decoder_embeddings": True,
}
VOCAB = 67_028
# config.json of intfloat/multilingual-e5-small (a BertModel), the sentiment default's encoder
E5_SMALL = {
    "vocab_size": 250_037,
    "hidden_size": 384,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 1536,
    "hidden_act": "gelu",
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 1,
}


def load_stories(language: str = "en") -> list[tuple[str, str]]:
    import feedparser

    from bot.news.clean import clean_title, summarize

    stories = []
    for path in sorted(SAMPLES.glob(f"*_{language}_*.rss")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            title = clean_title(entry.get("title", ""))
            summary = summarize(entry.get("summary", "") or entry.get("description", ""))
            if title:
                stories.append((title, summary))
    # with a summary (the costlier case), the outlets interleaved as a pass sees them
    stories = [story for story in stories if story[1]]
    return stories[::2] + stories[1::2]


def build_model(
    path: Path,
    stories: list[tuple[str, str]],
    pieces: str = "opus",
    segments: list[str] | None = None,
) -> Path:
    """Random Marian base weights with a tokenizer trained on `stories`' texts; `opus` sizes
    it on `segments` (default: all of `stories`' model inputs)."""
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path.mkdir(parents=True, exist_ok=True)
    text = [t for story in stories for t in story if t]
    proto = train_pieces(text, pieces, segments or bench_segments(stories))
    for name in ("source.spm", "target.spm"):
        (path / name).write_bytes(proto)
    proc = spm.SentencePieceProcessor(model_proto=proto)
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(proc.get_piece_size()):
        vocab.setdefault(proc.id_to_piece(i), len(vocab))
    while len(vocab) < VOCAB - 1:  # the real shared vocabulary's size: the output layer's cost
        vocab[f"<unused{len(vocab)}>"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (path / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    MarianTokenizer(
        str(path / "source.spm"), str(path / "target.spm"), str(path / "vocab.json")
    ).save_pretrained(path)
    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=VOCAB,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
        **MARIAN_BASE,  # type: ignore[arg-type]
    )
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(path)
    return path


def translator(
    path: Path, beams: int, engine: str, source: str = "en", target: str = "nl", threads: int = 1
) -> object:
    """The engine's translator on `path`, loaded; random weights never stop early, so every
    segment costs what the length rule allows (the end token is suppressed)."""
    if engine == "ctranslate2":
        from bot.translate.ct2 import Ct2Translator

        ct2 = Ct2Translator(
            str(path), source, target, beams=beams, threads=threads, cache_dir=path.parent / "hf"
        )
        ct2.load()
        ct2.options = {"suppress_sequences": [["</s>"]]}
        loaded = ct2._loaded
        assert loaded is not None
        loaded.translator = StopAt(loaded.translator)
        probe = [
            loaded.tokenizer.convert_ids_to_tokens(loaded.tokenizer("Bitcoin rallies").input_ids)
        ]
        results = loaded.translator.translate_batch(
            probe * 4, max_decoding_length=40, **ct2.options
        )
        assert all(len(r.hypotheses[0]) == 40 for r in results), "the end token was not suppressed"
        StopAt.rule = lambda n: 7 * n  # 21 tokens for the 3-token probe
        results = loaded.translator.translate_batch(
            [probe[0], probe[0][-2:]], beam_size=1, max_decoding_length=40, **ct2.options
        )
        StopAt.rule = None
        got = [len(r.hypotheses[0]) for r in results]
        assert got == [7 * len(probe[0]), 14], f"per-segment stop failed: {got}"
        return ct2
    from bot.translate.marian import MarianTranslator

    found = MarianTranslator(str(path), source, target, beams=beams, threads=1)
    found.load()
    config = found._loaded.model.generation_config  # type: ignore[union-attr]
    config.forced_eos_token_id = None
    config.suppress_tokens = [0]
    return found


def set_length_rule(rule: Callable[..., int], *, per_segment: bool = False) -> None:
    """Both engines write `rule(input tokens)` tokens (CTranslate2's cap leaves out the end
    token the torch engine forces; with it suppressed here, both get the same count)."""
    import bot.translate.ct2 as ct2
    import bot.translate.marian as marian

    marian.new_tokens_for = rule
    ct2.new_tokens_for = lambda n, positions=512: rule(n, positions) + 1
    StopAt.rule = (lambda n: rule(n, 512)) if per_segment else None


def convert(folder: Path) -> None:
    """What `models download` does for CTranslate2, before any timing or memory figure."""
    from bot.translate.ct2_convert import converted

    for name in ("en-nl", "nl-en"):
        start = time.perf_counter()
        out = converted(str(folder / name), folder / "hf")
        size = sum(f.stat().st_size for f in out.iterdir()) / 1e6
        print(
            f"  converted {name} to CTranslate2 int8 in {time.perf_counter() - start:.1f} s "
            f"({size:.0f} MB on disk)"
        )


def bench_speed(
    path: Path, stories: list[tuple[str, str]], engine: str, batch: int = 0, threads: int = 1
) -> None:
    import bot.translate.marian as marian
    from bot.translate.engine import first_inputs
    from bot.translate.store import PendingArticle

    print(f"engine: {engine}")
    words = sum(len(f"{t} {s}".split()) for t, s in stories)
    segments = bench_segments(stories)
    sent = first_inputs([PendingArticle(i, "en", t, s) for i, (t, s) in enumerate(stories)])
    proto = (path / "source.spm").read_bytes()
    print(
        f"{len(stories)} English stories with a summary, {words / len(stories):.0f} words each; "
        f"{len(segments)} segments, {len(sent)} sent to the model; "
        f"{tokens_per_word(proto, sent):.2f} tokens a word (OPUS-MT: "
        f"{OPUS_TOKENS_PER_WORD}); around the model {python_side(stories):.2f} s CPU"
    )
    capped = marian.new_tokens_for
    lengths = {
        "at the bot's cap (1.5 x input + 10: a model that loops)": capped,
        # what a real model writes before it stops: Dutch runs about 1.2 x English in tokens
        "at real length (1.2 x input)": lambda n, positions=512: max(1, round(n * 1.2)),
    }
    for beams in (1, 4):
        start = time.perf_counter()
        found = translator(path, beams, engine, threads=threads)
        found.batch_size = batch  # type: ignore[attr-defined]  # 0: the engine's default
        load = time.perf_counter() - start
        timed(found, stories[:4])  # warm-up
        for label, rule in lengths.items():
            if beams > 1 and rule is capped:
                continue  # beam search at the cap: only slower, and minutes on 2 cores
            # a real model ends each segment at its own length; a looping one runs to the cap
            set_length_rule(rule, per_segment=rule is not capped)
            wall, cpu, sent_n = timed(found, stories)
            size = found.batch_size or found.default_batch()  # type: ignore[attr-defined]
            print(
                f"  beams {beams}, output {label}: {wall:.1f} s wall, {cpu:.1f} s CPU for "
                f"{len(stories)} stories ({sent_n} segments, batches of {size}; "
                f"load {load:.1f} s); load average {_load()}"
            )
        set_length_rule(capped)


def save_e5_shape(path: Path, stories: list[tuple[str, str]]) -> Path:
    """The sentiment default's encoder shape with random weights (fp32 on disk, as the hub's);
    a small WordPiece tokenizer stands in for its 250k-piece one (bench/sentiment.py's)."""
    from transformers import BertConfig, BertModel
    from transformers.utils import logging as hf_logging

    from bench.sentiment import build_tokenizer

    hf_logging.disable_progress_bar()
    BertModel(BertConfig(**E5_SMALL)).save_pretrained(path)  # type: ignore[arg-type]
    texts = [t for story in stories for t in story if t]
    build_tokenizer(texts).save_pretrained(path)  # type: ignore[attr-defined]
    return path


def bench_memory(
    folder: Path, directions: int, stories: list[tuple[str, str]], engine: str, encoder: Path
) -> None:
    """One process: bot imports, the sentiment model, then `directions` translation models."""
    import bot.discord.client  # noqa: F401  # the rest of the bot, as in the process
    from bot.config import Settings
    from bot.sentiment.e5_backend import E5Backend

    base = rss_mb()
    quantized = Settings().sentiment_encoder_quantize  # the default: fp32
    sentiment = E5Backend(str(encoder), quantized=quantized, threads=1)
    sentiment.load()
    sentiment.score_batch([t for t, _s in stories[:32]], ["en"] * 32)
    with_sentiment, sentiment_peak = rss_mb(), peak_rss_mb()
    pairs = [("en", "nl"), ("nl", "en")][:directions]
    loaded = [translator(folder / f"{s}-{t}", 1, engine, s, t) for s, t in pairs]
    for found in loaded:
        timed(found, stories[:16])
    greedy_peak = peak_rss_mb()
    for found in loaded:
        found.beams = 4  # type: ignore[attr-defined]  # the same models, beam search
        timed(found, stories[:16])
    print(
        f"  {engine}: sentiment + {directions} translation model(s): RSS {base:.0f} MB after "
        f"imports, "
        f"{with_sentiment:.0f} MB with sentiment (peak {sentiment_peak:.0f} MB while it loaded), "
        f"{rss_mb():.0f} MB at the end ({_split()}); "
        f"peak {greedy_peak:.0f} MB greedy, {peak_rss_mb():.0f} MB after beam 4 too"
    )


def _split() -> str:
    """Anonymous vs file-backed resident memory: mapped weight files are page cache the
    kernel can drop under pressure (and re-read), the anonymous part it cannot."""
    fields = status_mb("RssAnon", "RssFile")
    anon, file = fields["RssAnon"], fields["RssFile"]
    return f"anonymous {anon:.0f} MB, file-backed {file:.0f} MB"


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def default_engine() -> str:
    from bot.config import Settings
    from bot.translate.service import engine_of

    return engine_of(Settings())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--engine",
        choices=["ctranslate2", "torch"],
        default=default_engine(),
        help="the inference engine (default: the production default, TRANSLATION_ENGINE=auto)",
    )
    parser.add_argument(
        "--sentiment-encoder",
        type=Path,
        help="a real e5 encoder folder for the memory runs (default: e5-small's shape, random)",
    )
    parser.add_argument("--stories", type=int, default=50)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--pieces",
        choices=["opus", "unigram", "bpe"],
        default="opus",
        help=f"the bench tokenizer: opus (BPE sized to OPUS-MT's {OPUS_TOKENS_PER_WORD} tokens "
        "a word on these texts), or the old brackets unigram (about 2.0: errs slow) and bpe "
        "(as many pieces as the text allows, about 1.36 on these texts)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CTranslate2 intra_threads for the speed runs (the bot's default on 2 cores: 1)",
    )
    parser.add_argument(
        "--batch", type=int, default=0, help="segments per model call (0: the engine's default)"
    )
    parser.add_argument("--model", type=Path, help="(internal) the built models' folder")
    parser.add_argument("--memory", type=int, choices=[1, 2], help="(internal) directions")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    stories = load_stories()[: args.stories]
    if args.memory:
        encoder = args.sentiment_encoder or args.model / "e5"
        bench_memory(args.model, args.memory, stories, args.engine, encoder)
        return
    print(
        f"machine: {os.cpu_count()} CPUs, load average {_load()}; python {sys.version.split()[0]}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = build_model(
            Path(tmp) / "en-nl",
            load_stories() + load_stories("nl"),
            args.pieces,
            bench_segments(stories),
        )
        # a second folder: two directions are two files, mapped and loaded separately
        shutil.copytree(path, Path(tmp) / "nl-en")
        if args.engine == "ctranslate2":
            convert(Path(tmp))
        if not args.skip_speed:
            bench_speed(path, stories, args.engine, args.batch, args.threads)
        if not args.skip_memory:
            if not args.sentiment_encoder:
                save_e5_shape(Path(tmp) / "e5", load_stories())
            for directions in (2, 1):  # fresh processes: each peak is a whole process's
                cmd = [sys.executable, "-m", "bench.translate", "--model", tmp]
                cmd += ["--engine", args.engine]
                if args.sentiment_encoder:
                    cmd += ["--sentiment-encoder", str(args.sentiment_encoder)]
                subprocess.run([*cmd, "--memory", str(directions)], check=True)
        print(f"load average at the end: {_load()}")


if __name__ == "__main__":
    main()
