"""Choose the backend from the settings: the model when it loads, else the trained offline one.

The model is SENTIMENT_MODEL (any text-classification model) when set, else the e5 encoder
with the project's shipped head (bot/sentiment/e5_backend.py).
"""

from __future__ import annotations

import logging

from bot.config import ConfigError, Settings
from bot.i18n import _
from bot.sentiment.e5_backend import E5Backend
from bot.sentiment.lexicon import LexiconBackend
from bot.sentiment.offline_model import OfflineBackend, OfflineModelError
from bot.sentiment.routing import LanguageRoutes
from bot.sentiment.transformers_backend import ModelLoadError, TransformersBackend
from bot.sentiment.types import SentimentBackend

log = logging.getLogger(__name__)


def transformers_backend(settings: Settings) -> TransformersBackend:
    return TransformersBackend(
        settings.sentiment_model,
        model_nl=settings.sentiment_model_nl,
        batch_size=settings.sentiment_batch_size,
        threads=settings.torch_threads,
        cache_dir=settings.hf_cache_dir,
        quantized=settings.sentiment_quantize,
    )


def e5_backend(settings: Settings) -> E5Backend:
    return E5Backend(
        settings.sentiment_encoder,
        head_path=settings.sentiment_head,
        batch_size=settings.sentiment_batch_size,
        threads=settings.torch_threads,
        cache_dir=settings.hf_cache_dir,
        quantized=settings.sentiment_encoder_quantize,
    )


def model_backend(settings: Settings) -> TransformersBackend | E5Backend | LanguageRoutes:
    """SENTIMENT_MODEL when set; otherwise the e5 encoder with the shipped head, with
    SENTIMENT_MODEL_NL (a classifier) for Dutch texts when that is set."""
    if settings.sentiment_model:
        return transformers_backend(settings)
    e5 = e5_backend(settings)
    if not settings.sentiment_model_nl:
        return e5
    nl_only = {"sentiment_model": settings.sentiment_model_nl, "sentiment_model_nl": None}
    nl = transformers_backend(settings.model_copy(update=nl_only))
    return LanguageRoutes(e5, {"nl": nl})


def load_backend(settings: Settings) -> SentimentBackend:
    """Build the configured backend, loading the model now (call it in a worker thread).

    `transformers` fails (ConfigError) when the model cannot load; `auto` falls back to the
    trained offline model with one warning; `offline` and `lexicon` never touch torch.
    """
    if settings.sentiment_backend == "lexicon":
        return LexiconBackend()
    if settings.sentiment_backend == "offline":
        return offline_backend()
    backend = model_backend(settings)
    try:
        backend.load()
    except ModelLoadError as exc:
        if settings.sentiment_backend == "transformers":
            raise ConfigError(
                f"SENTIMENT_BACKEND=transformers but {exc} "
                "(run `python -m bot models download` first)"
            ) from exc
        log.warning(
            "sentiment: %s; using the trained offline backend instead "
            "(run `python -m bot models download` to fetch the model)",
            exc,
        )
        return offline_backend()
    return backend


def offline_backend() -> OfflineBackend:
    backend = OfflineBackend()
    try:
        backend.load()  # the shipped weights: a broken install fails here, not at a first score
    except OfflineModelError as exc:
        raise ConfigError(str(exc)) from exc
    return backend


def describe_backend(name: str, model: str) -> str:
    """One translated line naming what scores the news, for the about command and footers."""
    if name == "lexicon":
        return _("offline word list (%(model)s), no sentiment model loaded") % {"model": model}
    if name == "offline":
        return _("trained offline model (%(model)s), no transformers model loaded") % {
            "model": model
        }
    return _("model %(model)s") % {"model": model}
