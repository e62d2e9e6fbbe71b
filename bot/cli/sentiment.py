"""`python -m bot sentiment [--coin BTC] [--period 7d]`, `... score`, `... eval FILE`, `... train`.

The aggregate view is the default (over the default feeds, as outside a server); `score`
scores the stored articles that the configured backend has not scored yet; `eval` measures a
backend on a labelled CSV; `train` fits the offline model (bot/sentiment/train.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from bot.cli import sentiment_train
from bot.config import Settings
from bot.guilds.feeds import default_feed_ids
from bot.i18n import Language, _, fmt_datetime, use_language
from bot.runtime.services import open_services
from bot.sentiment.aggregate import PERIODS, latest_scored_at, sentiment_summary
from bot.sentiment.evaluate import DatasetError, evaluate, read_labelled_csv
from bot.sentiment.factory import describe_backend, load_backend
from bot.sentiment.report import format_eval, format_summary
from bot.sentiment.store import score_pending
from bot.sentiment.train import DUTCH_HEADLINES, DUTCH_PATTERN, Options, train
from bot.sentiment.types import SentimentBackend


def register(sub: Any) -> None:
    parser = sub.add_parser("sentiment", help="news sentiment per period and coin; score; eval")
    parser.add_argument("--coin", help="only articles about this ticker, e.g. BTC")
    parser.add_argument("--period", choices=list(PERIODS), default="24h", help="default 24h")
    parser.add_argument("--lang", choices=["nl", "en"], help="report language")
    parser.set_defaults(handler=handle, sentiment_action=None)
    actions = parser.add_subparsers(
        dest="sentiment_action",
        metavar="[score|eval|train|finetune|train-head]",
        help="without an action: print the aggregates for --period/--coin",
    )
    score = actions.add_parser("score", help="score stored articles not yet scored")
    score.add_argument("--limit", type=int, help="score at most this many articles")
    _backend_option(score)
    ev = actions.add_parser("eval", help="evaluate a backend on a labelled CSV file")
    ev.add_argument("file", type=Path, help="CSV with a text and a label column")
    ev.add_argument("--text-column", help="default: text, headline, sentence or title")
    ev.add_argument("--label-column", default="label", help="-1/0/1 or negative/neutral/positive")
    ev.add_argument("--language", default="en", help="language of the texts (default en)")
    ev.add_argument(
        "--part",
        choices=["all", "tune", "held"],
        default="all",
        help="the deterministic 70/30 split by CRC32 of the id column",
    )
    ev.add_argument("--id-column", default="id")
    _backend_option(ev)
    tr = actions.add_parser("train", help="train the offline model (numpy; fixed seed)")
    tr.add_argument("--out", type=Path, required=True, help="folder for model.json and *.npz")
    tr.add_argument(
        "--data-dir",
        type=Path,
        default=Path("../shared/data/sentiment"),
        help=f"holds {DUTCH_HEADLINES} and {DUTCH_PATTERN}",
    )
    tr.add_argument("--seed", type=int, default=0, help="seed of the cross-validation folds")
    tr.add_argument("--sample", type=int, help="train on this many rows only (a quick check)")
    tr.add_argument("--no-cv", action="store_true", help="skip the 5-fold cross-validation")
    sentiment_train.register_actions(actions)


def _backend_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=["auto", "transformers", "offline", "lexicon"],
        help="override SENTIMENT_BACKEND for this run",
    )


def _backend(args: argparse.Namespace, settings: Settings) -> SentimentBackend:
    if args.backend:
        settings = settings.model_copy(update={"sentiment_backend": args.backend})
    return load_backend(settings)


async def _summary(args: argparse.Namespace, settings: Settings) -> int:
    async with open_services(settings) as services:
        feeds = await default_feed_ids(services.db)
        summary = await sentiment_summary(
            services.db, period=args.period, coin=args.coin, feed_ids=feeds
        )
        latest = (
            None
            if summary.current.articles
            else await latest_scored_at(services.db, feed_ids=feeds)
        )
    print(format_summary(summary))
    if not summary.current.articles:
        if latest is None:
            print(_("Nothing scored yet: run `python -m bot sentiment score` after a fetch."))
        else:
            print(_("Newest scored article: %(when)s.") % {"when": fmt_datetime(latest)})
    return 0


async def _score(args: argparse.Namespace, settings: Settings) -> int:
    backend = await asyncio.to_thread(_backend, args, settings)
    async with open_services(settings) as services:
        count = await score_pending(
            services.db, backend, limit=args.limit, batch_size=settings.sentiment_batch_size
        )
    print(
        _("Scored %(n)s articles with %(backend)s.")
        % {"n": count, "backend": describe_backend(backend.name, backend.model)}
    )
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    try:
        rows = read_labelled_csv(
            args.file,
            text_column=args.text_column,
            label_column=args.label_column,
            id_column=args.id_column,
            part=args.part,
        )
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not rows:
        print(f"error: no rows in {args.file}", file=sys.stderr)
        return 2
    backend = _backend(args, settings)
    texts = [text for text, _label in rows]
    predicted = []
    size = max(1, settings.sentiment_batch_size)
    for start in range(0, len(texts), size):
        chunk = texts[start : start + size]
        predicted += [s.label for s in backend.score_batch(chunk, [args.language] * len(chunk))]
    report = evaluate([label for _text, label in rows], predicted)
    print(format_eval(report, describe_backend(backend.name, backend.model)))
    return 0


def _train(args: argparse.Namespace) -> int:
    try:
        meta = train(
            args.data_dir,
            args.out,
            Options(seed=args.seed),
            sample=args.sample,
            cv=not args.no_cv,
        )
    except (OSError, ValueError, KeyError, ET.ParseError) as exc:
        print(f"error: cannot train from {args.data_dir}: {exc}", file=sys.stderr)
        return 2
    for language, info in sorted(meta["languages"].items()):
        scores = info.get("cv_macro_f1")
        cv = f"; 5-fold macro-F1 {sum(scores) / len(scores):.3f}" if scores else ""
        print(f"{language}: {info['features']}; trained on {info['trained_on']}{cv}")
    print(f"saved to {args.out}")
    return 0


def handle(args: argparse.Namespace, settings: Settings) -> int:
    language: Language = args.lang or settings.default_language
    with use_language(language):
        if args.sentiment_action in sentiment_train.ACTIONS:
            return sentiment_train.handle(args, settings)
        if args.sentiment_action == "eval":
            return _eval(args, settings)
        if args.sentiment_action == "train":
            return _train(args)
        if args.sentiment_action == "score":
            return asyncio.run(_score(args, settings))
        return asyncio.run(_summary(args, settings))
