"""`python -m bot sentiment finetune ...` and `... sentiment train-head ...`: build models.

Both are developer/operator commands run once, offline from the bot: `finetune` trains any
transformers encoder into a classifier folder for SENTIMENT_MODEL; `train-head` trains the
e5 head (SENTIMENT_HEAD, shipped as bot/data/sentiment/e5_head.npz) and reports 5-fold CV.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.sentiment.evaluate import DatasetError, EvalReport

ACTIONS = ("finetune", "train-head")


def register_actions(actions: Any) -> None:
    ft = actions.add_parser("finetune", help="fine-tune a transformers encoder on labelled files")
    ft.add_argument("--base", required=True, help="hub id or folder, e.g. xlm-roberta-base")
    _data_options(ft)
    ft.add_argument("--out", type=Path, required=True, help="folder for SENTIMENT_MODEL")
    ft.add_argument("--epochs", type=float, default=3.0)
    ft.add_argument("--batch-size", type=int, default=16)
    ft.add_argument("--learning-rate", type=float, default=3e-5)
    ft.add_argument("--max-length", type=int, default=128)
    ft.add_argument("--max-steps", type=int, help="stop after this many steps")
    ft.add_argument("--seed", type=int, default=0)
    ft.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")

    th = actions.add_parser("train-head", help="train the e5 head on labelled files")
    th.add_argument("--encoder", help="default: SENTIMENT_ENCODER")
    _data_options(th)
    th.add_argument("--out", type=Path, required=True, help="the head file (.npz)")
    th.add_argument("--cache", type=Path, help="embedding cache (.npz) reused across runs")
    th.add_argument("--eval", type=Path, nargs="*", default=[], help="evaluate on these files")
    th.add_argument("--eval-language", default="en", help="language of the --eval files")
    th.add_argument("--l2", type=float, default=0.3, help="L2 penalty (0.3: chosen by Dutch CV)")
    th.add_argument("--folds", type=int, default=5, help="cross-validation folds (0: none)")
    th.add_argument("--int8", action="store_true", help="quantise the encoder (to measure it)")


def _data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, nargs="+", required=True, help="CSV or JSON files")
    parser.add_argument("--language", default="en", help="language of the texts (default en)")
    parser.add_argument("--text-column", help="default: text, headline, sentence or title")
    parser.add_argument("--label-column", default="label")


def _examples(args: argparse.Namespace, files: list[Path], language: str) -> Any:
    from bot.sentiment.datasets import read_many

    return read_many(
        files, language=language, text_column=args.text_column, label_column=args.label_column
    )


def _line(title: str, report: EvalReport) -> str:
    per = " ".join(f"{k} {v.f1:.3f}" for k, v in report.per_class.items())
    return f"{title}: macro-F1 {report.macro_f1:.3f}, accuracy {report.accuracy:.3f} ({per})"


def _finetune(args: argparse.Namespace, settings: Settings) -> int:
    from bot.sentiment.finetune import FinetuneError, Recipe, finetune

    examples = _examples(args, args.data, args.language)
    recipe = Recipe(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        max_length=args.max_length,
        max_steps=args.max_steps,
        seed=args.seed,
        threads=args.threads,
    )
    try:
        out = finetune(
            args.base,
            examples,
            args.out,
            recipe,
            cache_dir=settings.hf_cache_dir,
            sources=[str(p) for p in args.data],
            progress=print,
        )
    except FinetuneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"saved {out}: set SENTIMENT_MODEL={out}")
    return 0


def _train_head(args: argparse.Namespace, settings: Settings) -> int:
    import numpy as np

    from bot.sentiment.e5_backend import load_encoder
    from bot.sentiment.e5_head import fit
    from bot.sentiment.evaluate import evaluate
    from bot.sentiment.head_train import (
        E5_PREFIX,
        build_features,
        cross_validate,
        embed_cached,
        head_meta,
        predict,
    )
    from bot.sentiment.transformers_backend import ModelLoadError, configure_torch

    examples = _examples(args, args.data, args.language)
    evals = {p: _examples(args, [p], args.eval_language) for p in args.eval}
    encoder_id = args.encoder or settings.sentiment_encoder
    configure_torch(settings.torch_threads or 1)
    try:
        encoder = load_encoder(encoder_id, settings.hf_cache_dir, quantized=args.int8)
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    cache_id = encoder_id + (" int8" if args.int8 else "")

    def embed(rows: Any) -> np.ndarray:
        texts = [E5_PREFIX + e.text for e in rows]
        return embed_cached(encoder, cache_id, texts, args.cache, settings.sentiment_batch_size)

    train = build_features(embed(examples), examples)
    meta: dict[str, Any] = head_meta(encoder_id, encoder.hidden_size, [p.name for p in args.data])
    meta["name"] = args.out.stem
    meta.update(_converted_from(encoder_id))
    if args.folds > 1:
        report = cross_validate(train, k=args.folds, l2=args.l2)
        print(_line(f"{args.folds}-fold CV on {len(examples)} rows", report))
        meta["cv_macro_f1"] = round(report.macro_f1, 4)
    head = fit(train.matrix, train.labels, l2=args.l2, meta=meta)
    for path, rows in evals.items():
        feats = build_features(embed(rows), rows)
        report = evaluate(feats.labels, predict(head, feats.matrix))
        print(_line(f"{path.name} ({len(rows)} rows)", report))
        head.meta.setdefault("eval_macro_f1", {})[path.name] = round(report.macro_f1, 4)
    head.save(args.out)
    print(f"saved {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


def _converted_from(encoder_id: str) -> dict[str, str]:
    """A folder made by bench/e5_convert.py names the hub model it stands for."""
    marker = Path(encoder_id) / "CONVERTED_FROM.json"
    if not marker.is_file():
        return {}
    info = json.loads(marker.read_text(encoding="utf-8"))
    return {"encoder": str(info["original"]), "encoder_source": str(info["source"])}


def handle(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.sentiment_action == "finetune":
            return _finetune(args, settings)
        return _train_head(args, settings)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
