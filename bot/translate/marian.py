"""The MarianMT translator (OPUS-MT): AutoTokenizer + AutoModelForSeq2SeqLM + generate().

transformers 5 has no translation pipeline, so this calls generate() itself. The model loads
on first use behind a lock, from local files only (`python -m bot models download` fetches
it), int8-quantised on one torch thread like the sentiment model (the helpers are shared).
Inputs are length-sorted into batches; output length is capped, since a looping model
otherwise writes up to 512 tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.sentiment.transformers_backend import configure_torch, quantize
from bot.translate.engine import Generated, LazyTranslator, moses_normalized

log = logging.getLogger(__name__)

MAX_INPUT_TOKENS = 256  # a sentence or a headline; longer input is cut
MAX_NEW_TOKENS = 256


class TranslatorLoadError(RuntimeError):
    """The translation model or its tokenizer could not be loaded; one line for the log."""


@dataclass
class _Loaded:
    tokenizer: Any
    model: Any
    positions: int  # input and output are both bounded by the position table


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _hub_offline() -> Iterator[None]:
    """Hub offline mode while loading. `local_files_only` alone still lets huggingface_hub
    fetch its agent registry from huggingface.co when it builds request headers (measured,
    huggingface_hub 2.4), and HF_HUB_OFFLINE in the environment counts only before import."""
    from huggingface_hub import constants

    before = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = before


def load_seq2seq(
    model_id: str, cache_dir: Path | None = None, *, quantized: bool = True
) -> _Loaded:
    try:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        kwargs: dict[str, Any] = {"local_files_only": True}
        if cache_dir is not None:
            kwargs["cache_dir"] = str(cache_dir)
        with _hub_offline():
            tokenizer = AutoTokenizer.from_pretrained(model_id, **kwargs)
            model = AutoModelForSeq2SeqLM.from_pretrained(model_id, **kwargs)
    except Exception as exc:  # OSError, ValueError, ImportError (no sentencepiece), ...
        raise TranslatorLoadError(f"cannot load model {model_id!r}: {_reason(exc)}") from exc
    model.eval()
    positions = input_limit(tokenizer, getattr(model.config, "max_position_embeddings", None))
    return _Loaded(tokenizer, quantize(model) if quantized else model, positions)


def input_limit(tokenizer: Any, positions: object) -> int:
    """Input and output are both bounded by the model's position table and the tokenizer."""
    limits = [MAX_INPUT_TOKENS, int(getattr(tokenizer, "model_max_length", MAX_INPUT_TOKENS))]
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return min(limits)


def new_tokens_for(input_tokens: int, positions: int = MAX_NEW_TOKENS + 1) -> int:
    """Room for Dutch being longer than English (about 1.2x), not for a loop."""
    return min(MAX_NEW_TOKENS, positions - 1, int(input_tokens * 1.5) + 10)


class MarianTranslator(LazyTranslator[_Loaded]):
    engine = "torch"

    @property
    def model(self) -> str:
        """Stored with each row: quantisation and beams change the text, so they re-translate."""
        return f"{self.model_id}@{'int8' if self.quantized else 'fp32'}-b{self.beams}"

    def _load(self) -> _Loaded:
        configure_torch(self.threads)
        return load_seq2seq(self.model_id, self.cache_dir, quantized=self.quantized)

    def _generate(self, loaded: _Loaded, texts: list[str]) -> list[Generated]:
        import torch

        tok = loaded.tokenizer
        encoded = tok(
            moses_normalized(tok, texts),
            padding=True,
            truncation=True,
            max_length=loaded.positions,
            return_tensors="pt",
        )
        with torch.inference_mode():
            ids = loaded.model.generate(
                **encoded,
                num_beams=self.beams,
                do_sample=False,
                max_new_tokens=new_tokens_for(int(encoded["input_ids"].shape[1]), loaded.positions),
                **self.options,
            )
        unk = tok.unk_token_id
        flags = (ids == unk).any(dim=1).tolist() if unk is not None else [False] * len(texts)
        decoded = tok.batch_decode(ids, skip_special_tokens=True)
        return [Generated(t.strip(), bool(flag)) for t, flag in zip(decoded, flags, strict=True)]
