"""`python -m bot models download`: fetch the configured sentiment models into the cache.

Run it in a build or release step; afterwards the bot loads the models from local files only
(it never contacts the hub at run time; HF_HUB_OFFLINE=1 is safe).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.config import Settings
from bot.sentiment.download import DownloadError, download_model


def register(sub: Any) -> None:
    parser = sub.add_parser("models", help="sentiment models: download into the local cache")
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION", required=True)
    actions.add_parser(
        "download", help="fetch SENTIMENT_MODEL or SENTIMENT_ENCODER (and SENTIMENT_MODEL_NL)"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    # Without SENTIMENT_MODEL the e5 encoder is the model (its head ships in the package).
    models = [settings.sentiment_model or settings.sentiment_encoder]
    if settings.sentiment_model_nl:
        models.append(settings.sentiment_model_nl)
    for model_id in models:
        try:
            path = download_model(model_id, settings.hf_cache_dir)
        except DownloadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{model_id}: {path}")
    return 0
