"""The MarianMT translator on CTranslate2 (TRANSLATION_ENGINE=ctranslate2, the default when
installed): the same OPUS-MT checkpoints, converted once (bot/translate/ct2_convert.py).

Measured for Marian base int8 (docs/translation.md): about twice as fast as torch's dynamic
int8 and about a third of its memory, without torch at run time. Everything around the model
is the torch engine's (bot/translate/marian.py): the transformers tokenizer with Moses
punctuation normalisation, inputs cut at the model's limit, length-sorted batches, the
output cap of `new_tokens_for`, `<unk>` detection before decoding deletes it, and the same
TranslatorLoadError for anything that stops the model loading.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.sentiment.transformers_backend import default_threads
from bot.translate.ct2_convert import checkpoint_folder, converted
from bot.translate.engine import Generated, LazyTranslator, moses_normalized
from bot.translate.marian import (
    TranslatorLoadError,
    _hub_offline,
    _reason,
    input_limit,
    new_tokens_for,
)

log = logging.getLogger(__name__)


@dataclass
class _Loaded:
    tokenizer: Any
    translator: Any  # ctranslate2.Translator
    positions: int
    folder: Path  # the converted model


def load_ct2(
    model_id: str, cache_dir: Path | None, *, quantized: bool = True, threads: int = 0
) -> _Loaded:
    source = checkpoint_folder(model_id, cache_dir)
    folder = converted(model_id, cache_dir, quantization="int8" if quantized else "float32")
    try:
        import ctranslate2
        from transformers import AutoTokenizer

        with _hub_offline():
            tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
        translator = ctranslate2.Translator(
            str(folder),
            device="cpu",
            compute_type="int8" if quantized else "float32",
            inter_threads=1,
            intra_threads=threads if threads > 0 else default_threads(),
        )
        config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    except Exception as exc:  # no sentencepiece, a broken converted model, ...
        raise TranslatorLoadError(f"cannot load model {model_id!r}: {_reason(exc)}") from exc
    positions = input_limit(tokenizer, config.get("max_position_embeddings"))
    return _Loaded(tokenizer, translator, positions, folder)


class Ct2Translator(LazyTranslator[_Loaded]):
    engine = "CTranslate2"

    @property
    def model(self) -> str:
        """Stored with each row; differs from the torch engine's, so a change of engine
        translates again (their int8 schemes differ, and so can the words)."""
        return f"{self.model_id}@ct2-{'int8' if self.quantized else 'fp32'}-b{self.beams}"

    def default_batch(self) -> int:
        """64 hypotheses per call (64 segments greedy, 16 with beam 4): CTranslate2 drops a
        finished segment from its batch, and wider int8 matrix products cost less per row
        (greedy 50 stories about 10-15% less CPU than batches of 16, docs/translation.md);
        beam search keeps today's 16, the memory peak's bound."""
        return max(16, 64 // max(1, self.beams))

    def _load(self) -> _Loaded:
        loaded = load_ct2(
            self.model_id, self.cache_dir, quantized=self.quantized, threads=self.threads
        )
        log.info("CTranslate2 model for %s: %s", self.model_id, loaded.folder)
        return loaded

    def _generate(self, loaded: _Loaded, texts: list[str]) -> list[Generated]:
        tok = loaded.tokenizer
        encoded = tok(moses_normalized(tok, texts), truncation=True, max_length=loaded.positions)
        # CTranslate2 takes tokens; the ids carry the tokenizer's `</s>`, as Marian expects
        sources = [tok.convert_ids_to_tokens(ids) for ids in encoded["input_ids"]]
        longest = max(len(s) for s in sources)
        results = loaded.translator.translate_batch(
            sources,
            beam_size=self.beams,
            num_hypotheses=1,
            max_input_length=loaded.positions,
            # the torch engine's cap counts the end token it forces at the limit; this one not
            max_decoding_length=max(1, new_tokens_for(longest, loaded.positions) - 1),
            **self.options,
        )
        out = []
        for result in results:
            tokens = result.hypotheses[0]
            ids = tok.convert_tokens_to_ids(tokens)
            unknown = tok.unk_token_id is not None and tok.unk_token_id in ids
            text = tok.decode(ids, skip_special_tokens=True)  # as the torch engine decodes
            out.append(Generated(text.strip(), unknown))
        return out
