"""Sentiment benchmark: headlines/s and memory for the lexicon, offline and transformers backends.

    .venv/bin/python -m bench.sentiment [--runs 3] [--skip-model] [--variant both|int8|fp32]
    .venv/bin/python -m bench.sentiment --e5 ENCODER_DIR [--e5-head H.npz] [--threads 1]

The trained offline backend (bot/sentiment/offline_model.py) is measured on the shipped
weights: load time (weights and the word lists it reads), headlines/s and RSS.

The transformers figures use a randomly initialised model with the default model's real
architecture (nlptown/bert-base-multilingual-uncased-sentiment: BERT-base, 12 layers, 105,879
token vocabulary), built from its config written below, so no hub access is needed: speed and
memory do not depend on the weight values. Its tokenizer is a WordPiece trained here on the
headlines, with a small vocabulary so words split into sub-words about as often as in the
multilingual vocabulary. Texts: the dev headlines in ../shared/data/sentiment (English and
Dutch, interleaved) when present, else generated ones. Figures are medians of --runs runs.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench import ROOT
from bench._stats import peak_rss_mb, rss_mb

SHARED = ROOT.parent / "shared" / "data" / "sentiment"

# config.json of nlptown/bert-base-multilingual-uncased-sentiment (BertForSequenceClassification).
DEFAULT_MODEL_CONFIG = {
    "vocab_size": 105_879,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
    "id2label": {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"},
}


def load_headlines() -> tuple[list[str], list[str]]:
    texts: list[str] = []
    languages: list[str] = []
    files = [("en_financial_headlines_dev.csv", "en"), ("nl_economic_headlines_dev.csv", "nl")]
    columns = []
    for name, language in files:
        path = SHARED / name
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                columns.append([(row["headline"], language) for row in csv.DictReader(fh)])
    if not columns:
        words = ["bitcoin", "koers", "stijgt", "daalt", "rally", "crash", "hack", "etf", "record"]
        columns = [
            [(" ".join(words[(i + j) % len(words)] for j in range(9)), "en")] for i in range(500)
        ]
    for pair in zip(*columns, strict=False):  # interleave the languages
        for text, language in pair:
            texts.append(text)
            languages.append(language)
    return texts, languages


def bench_lexicon(texts: list[str], languages: list[str], runs: int) -> None:
    from bot.sentiment.lexicon import LexiconBackend

    rss_before = rss_mb()
    tracemalloc.start()  # memory on a separate pass: tracing slows Python down severalfold
    backend = LexiconBackend()
    backend.score_batch(texts, languages)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    speeds = []
    for _ in range(runs):
        start = time.perf_counter()
        backend.score_batch(texts, languages)
        speeds.append(len(texts) / (time.perf_counter() - start))
    print(
        f"lexicon: {statistics.median(speeds):,.0f} headlines/s (median of {runs} runs over "
        f"{len(texts):,} headlines); Python peak allocations {peak / 1e6:.1f} MB; "
        f"RSS +{rss_mb() - rss_before:.1f} MB"
    )


def bench_offline(texts: list[str], languages: list[str], runs: int) -> None:
    from bot.sentiment.offline_model import OfflineBackend

    gc.collect()
    rss_before = rss_mb()
    start = time.perf_counter()
    backend = OfflineBackend()
    backend.load()
    loaded = time.perf_counter() - start
    backend.score_batch(["Bitcoin stijgt", "Bitcoin rises"], ["nl", "en"])  # word lists parse
    ready = time.perf_counter() - start
    rss_loaded = rss_mb()
    speeds, cpu_speeds = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(texts), 256):
            backend.score_batch(texts[i : i + 256], languages[i : i + 256])
        speeds.append(len(texts) / (time.perf_counter() - start))
        cpu_speeds.append(len(texts) / (time.process_time() - cpu))
    # Per CPU-second is what one dedicated core would do; wall time shows the machine's load.
    print(
        f"offline: {statistics.median(speeds):,.0f} headlines/s wall, "
        f"{statistics.median(cpu_speeds):,.0f} per CPU-second (median of {runs} runs over "
        f"{len(texts):,} headlines, batches of 256, one thread; the first run, with the word "
        f"cache cold: {cpu_speeds[0]:,.0f} per CPU-second); load {loaded:.2f} s "
        f"(ready to score incl. word lists {ready:.2f} s); RSS +{rss_loaded - rss_before:.1f} MB "
        f"loaded, +{rss_mb() - rss_before:.1f} MB after scoring"
    )


def build_tokenizer(texts: list[str]) -> object:
    """Sub-words about as often as in the multilingual vocabulary: a small one (6,000)."""
    from tests.sentiment.wordpiece import wordpiece_tokenizer

    return wordpiece_tokenizer(texts, vocab_size=6000, model_max_length=512)


def bench_transformers(
    texts: list[str], languages: list[str], runs: int, threads: int, variant: str
) -> None:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    import bot.discord.client  # noqa: F401  # the rest of the bot (discord.py, storage, ...) for RSS
    from bot.sentiment.labels import scheme_for
    from bot.sentiment.transformers_backend import (
        TransformersBackend,
        _Loaded,
        configure_torch,
        quantize,
    )

    gc.collect()
    base = rss_mb()
    configure_torch(threads)
    tokenizer = build_tokenizer(texts)
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(**DEFAULT_MODEL_CONFIG)).eval()
    params = sum(p.numel() for p in model.parameters())
    if variant == "int8":
        model = quantize(model)  # what SENTIMENT_QUANTIZE=true (the default) does at load
    backend = TransformersBackend("bench/random-bert-base-multilingual", threads=threads)
    backend._loaded[backend.model_id] = _Loaded(
        tokenizer, model, scheme_for(model.config.id2label), 512
    )
    gc.collect()
    loaded = rss_mb()
    lengths = [len(tokenizer(t)["input_ids"]) for t in texts[:2000]]  # type: ignore[operator]
    print(
        f"transformers ({variant}): {params / 1e6:.0f}M parameters "
        f"({params * 4 / 1e6:.0f} MB in fp32), {threads} threads; "
        f"headlines average {statistics.mean(lengths):.1f} tokens"
    )
    print(f"  RSS: bot imports + torch {base:.0f} MB; with the model loaded {loaded:.0f} MB")
    for batch_size in (1, 8, 32):
        backend.batch_size = batch_size
        n = 48 if batch_size == 1 else 192
        backend.score_batch(texts[:batch_size], languages[:batch_size])  # warm-up
        speeds = []
        for run in range(runs):
            chunk = texts[run * n : (run + 1) * n]
            start = time.perf_counter()
            backend.score_batch(chunk, languages[run * n : (run + 1) * n])
            speeds.append(len(chunk) / (time.perf_counter() - start))
        print(
            f"  batch {batch_size:>2}: {statistics.median(speeds):6.1f} headlines/s "
            f"(median of {runs} runs of {n}); RSS now {rss_mb():.0f} MB, "
            f"peak {peak_rss_mb():.0f} MB"
        )


def bench_saved_model(path: Path, variant: str, threads: int) -> None:
    """RSS through the production loader: the architecture saved to disk, then loaded by
    TransformersBackend (safetensors are memory-mapped: untouched pages cost nothing)."""
    import bot.discord.client  # noqa: F401  # the rest of the bot (discord.py, storage, ...) for RSS
    from bot.sentiment.transformers_backend import TransformersBackend

    base = rss_mb()
    backend = TransformersBackend(str(path), quantized=variant == "int8", threads=threads)
    start = time.perf_counter()
    backend.load()
    seconds = time.perf_counter() - start
    loaded = rss_mb()
    texts, languages = load_headlines()
    backend.score_batch(texts[:256], languages[:256])
    print(
        f"saved model via the production loader ({variant}): load {seconds:.1f} s; RSS "
        f"{base:.0f} MB before, {loaded:.0f} MB loaded, {rss_mb():.0f} MB after 256 "
        f"headlines; peak {peak_rss_mb():.0f} MB"
    )


def bench_e5(encoder: Path, head: Path | None, variant: str, threads: int, runs: int) -> None:
    """The e5 backend (encoder + shipped head) through the production loader, in this
    process: load time, RSS (the bot's other modules imported first), headlines/s.

    Needs an encoder folder: `python -m bench.e5_convert DIR` builds one without the hub."""
    import bot.discord.client  # noqa: F401  # the rest of the bot for a whole-process RSS
    from bot.sentiment.e5_backend import E5Backend

    base = rss_mb()
    backend = E5Backend(str(encoder), head_path=head, quantized=variant == "int8", threads=threads)
    start = time.perf_counter()
    backend.load()
    seconds = time.perf_counter() - start
    loaded = rss_mb()
    texts, languages = load_headlines()
    texts, languages = texts[:256], languages[:256]
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        backend.score_batch(texts, languages)
        rates.append(len(texts) / (time.perf_counter() - start))
    print(
        f"e5 backend ({variant}, {threads} thread(s)): load {seconds:.1f} s; "
        f"{statistics.median(rates):.0f} headlines/s (256 headlines, batch 16); RSS "
        f"{base:.0f} MB before, {loaded:.0f} MB loaded, {rss_mb():.0f} MB after; "
        f"peak {peak_rss_mb():.0f} MB"
    )


def save_default_architecture(path: Path) -> None:
    from transformers import BertConfig, BertForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    texts, _ = load_headlines()
    BertForSequenceClassification(BertConfig(**DEFAULT_MODEL_CONFIG)).save_pretrained(path)
    build_tokenizer(texts).save_pretrained(path)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-model", action="store_true")
    parser.add_argument("--skip-lexicon", action="store_true")
    parser.add_argument("--saved-model", type=Path, help="(internal) RSS of a saved model")
    parser.add_argument(
        "--variant",
        choices=["both", "fp32", "int8"],
        default="both",
        help="model weights as loaded (fp32) or int8-quantised (SENTIMENT_QUANTIZE, default)",
    )
    parser.add_argument("--e5", type=Path, help="only the e5 backend, with this encoder folder")
    parser.add_argument("--e5-head", type=Path, help="head file (default: the shipped one)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.e5:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"machine: {os.cpu_count()} CPUs, load average {load}")
        variant = "fp32" if args.variant == "both" else args.variant
        bench_e5(args.e5, args.e5_head, variant, args.threads, args.runs)
        return
    if args.variant == "both" and not args.skip_model:
        # One process per variant, so each RSS figure is that of a whole process.
        cmd = [sys.executable, "-m", "bench.sentiment", "--runs", str(args.runs)]
        first = True
        for variant in ("int8", "fp32"):
            for threads in sorted({args.threads, 1}, reverse=True):
                extra = [] if first else ["--skip-lexicon"]
                subprocess.run(
                    [*cmd, "--threads", str(threads), "--variant", variant, *extra], check=True
                )
                first = False
        with tempfile.TemporaryDirectory() as tmp:
            save_default_architecture(Path(tmp))
            for variant in ("int8", "fp32"):
                subprocess.run([*cmd, "--saved-model", tmp, "--variant", variant], check=True)
        return
    if args.saved_model:
        bench_saved_model(args.saved_model, args.variant, args.threads)
        return
    texts, languages = load_headlines()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load}; python {sys.version.split()[0]}")
    if not args.skip_lexicon:
        bench_offline(texts, languages, args.runs)
        bench_lexicon(texts, languages, args.runs)
    if not args.skip_model:
        bench_transformers(texts, languages, args.runs, args.threads, args.variant)


if __name__ == "__main__":
    main()
