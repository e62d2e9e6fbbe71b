"""`python -m bot models download`: fetch the configured models into the cache: sentiment,
and the two translation models unless TRANSLATION_ENABLED=off, converted for CTranslate2
when that is the translation engine (TRANSLATION_ENGINE).

Run it in a build or release step; afterwards the bot loads the models from local files only
(it never contacts the hub at run time; HF_HUB_OFFLINE=1 is safe).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.config import Settings
from bot.sentiment.download import DownloadError, download_model
from bot.translate.marian import TranslatorLoadError
from bot.translate.service import SOURCE_OF, Translators


def register(sub: Any) -> None:
    parser = sub.add_parser("models", help="models: download into the local cache")
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION", required=True)
    actions.add_parser(
        "download",
        help="fetch SENTIMENT_MODEL or SENTIMENT_ENCODER (and SENTIMENT_MODEL_NL) and "
        "TRANSLATION_MODEL_EN_NL/_NL_EN",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    # Without SENTIMENT_MODEL the e5 encoder is the model (its head ships in the package).
    models = [settings.sentiment_model or settings.sentiment_encoder]
    if settings.sentiment_model_nl:
        models.append(settings.sentiment_model_nl)
    if settings.translation_enabled != "off":
        models += [settings.translation_model_en_nl, settings.translation_model_nl_en]
    for model_id in models:
        try:
            path = download_model(model_id, settings.hf_cache_dir)
        except DownloadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{model_id}: {path}")
    if settings.translation_enabled != "off":
        return _convert(settings)
    return 0


def _convert(settings: Settings) -> int:
    """On the CTranslate2 engine, convert the translation checkpoints now, so the first
    pipeline pass does not pay for it (a few seconds per model, and torch in memory)."""
    translators = Translators(settings)
    for target in sorted(SOURCE_OF):
        try:
            folder = translators.convert(target)
        except TranslatorLoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if folder is not None:
            print(f"{translators.model_id(target)}: CTranslate2 {folder}")
    return 0
