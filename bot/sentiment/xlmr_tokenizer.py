"""XLM-R's tokenizer on `sentencepiece` instead of the Rust `tokenizers` Unigram model.

The same vocabulary costs about 54 MB in sentencepiece's double-array trie against about
300 MB in the `tokenizers` model (docs/sentiment-models.md, "Memory of the pipeline
process"); transformers 5 no longer has a sentencepiece-backed XLMRobertaTokenizer. This one
encodes with the model folder's `sentencepiece.bpe.model` and maps the ids the way fairseq
(and the hub's tokenizer.json) numbers them: `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, every
other sentencepiece id + 1, `<mask>` last. It returns what E5Backend takes from a transformers
tokenizer: input_ids and attention_mask, padded to the longest text, truncated to max_length.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SPM_FILE = "sentencepiece.bpe.model"
BOS, PAD, EOS, UNK = 0, 1, 2, 3
FAIRSEQ_OFFSET = 1
# Tokenizer classes that number a sentencepiece vocabulary as above.
XLMR_CLASSES = {"XLMRobertaTokenizer", "XLMRobertaTokenizerFast"}
_SPM_SPECIALS = ["<unk>", "<s>", "</s>"]  # sentencepiece ids 0, 1, 2 in XLM-R's model
# transformers matches its special tokens in the raw text before normalising (added tokens):
# "<s>" in a headline is id 0 there, so it is here.
_SPECIAL_TEXT = re.compile("(<mask>|<pad>|<unk>|</s>|<s>)")


class XlmrSentencePiece:
    """Callable like a transformers tokenizer for E5Backend's use (one text segment)."""

    kind = "sentencepiece"

    def __init__(self, model_file: Path, model_max_length: int) -> None:
        import sentencepiece

        self._sp = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
        found = [self._sp.id_to_piece(i) for i in range(len(_SPM_SPECIALS))]
        if found != _SPM_SPECIALS:
            raise ValueError(f"{model_file.name} is not numbered like XLM-R's: {found}")
        self.model_max_length = model_max_length
        self.vocab_size = self._sp.get_piece_size() + FAIRSEQ_OFFSET + 1  # + <mask>
        self._special_ids = {"<s>": BOS, "<pad>": PAD, "</s>": EOS, "<unk>": UNK}
        self._special_ids["<mask>"] = self.vocab_size - 1

    def __len__(self) -> int:
        return self.vocab_size

    def ids(self, texts: list[str], max_length: int | None = None) -> list[list[int]]:
        """Each text's ids between <s> and </s>, cut (at the end) to max_length in all."""
        # Texts split at special tokens; the parts between them are encoded in one call.
        parts = [_SPECIAL_TEXT.split(t) if "<" in t else [t] for t in texts]
        plain = [p for split in parts for p in split[::2]]
        # One thread: the pipeline's thread budget (TORCH_THREADS) is the model's.
        encoded = iter(self._sp.encode(plain, num_threads=1))
        keep = None if max_length is None else max(max_length - 2, 0)
        out = []
        for split in parts:
            row: list[int] = []
            for k, part in enumerate(split):
                if k % 2:
                    row.append(self._special_ids[part])
                    continue
                mapped = np.asarray(next(encoded), dtype=np.int64) + FAIRSEQ_OFFSET
                mapped[mapped == FAIRSEQ_OFFSET] = UNK  # sentencepiece's own <unk> is id 0
                row.extend(mapped.tolist())
            out.append([BOS, *row[:keep], EOS])
        return out

    def __call__(
        self,
        texts: list[str],
        *,
        padding: bool = True,
        truncation: bool = True,
        max_length: int | None = None,
        return_tensors: str = "pt",
    ) -> dict[str, Any]:
        if not padding or return_tensors != "pt":
            raise ValueError("only padded torch batches are supported")
        limit = (max_length or self.model_max_length) if truncation else None
        rows = self.ids(list(texts), limit)
        width = max((len(r) for r in rows), default=0)
        ids = np.full((len(rows), width), PAD, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        import torch

        return {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}


def local_file(model_id: str, name: str, cache_dir: Path | None) -> Path | None:
    """`name` in a local folder, or in the hub cache for a hub id; None when absent."""
    folder = Path(model_id).expanduser()
    if folder.is_dir():
        return folder / name if (folder / name).is_file() else None
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(
            model_id, name, cache_dir=str(cache_dir) if cache_dir else None
        )
    except Exception:  # a malformed id: AutoTokenizer reports it
        return None
    return Path(found) if isinstance(found, str) else None


def xlmr_sentencepiece(
    model_id: str, cache_dir: Path | None, default_max_length: int
) -> XlmrSentencePiece | None:
    """Our tokenizer when the (local) folder has XLM-R's sentencepiece model, else None."""
    spm_file = local_file(model_id, SPM_FILE, cache_dir)
    config_file = local_file(model_id, "tokenizer_config.json", cache_dir)
    if spm_file is None or config_file is None:
        return None
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
        if config.get("tokenizer_class") not in XLMR_CLASSES:
            return None
        limit = config.get("model_max_length")
        limit = limit if isinstance(limit, int) and limit > 0 else default_max_length
        return XlmrSentencePiece(spm_file, limit)
    except (OSError, ValueError, RuntimeError) as exc:  # unreadable: the transformers one
        log.warning("sentiment: not using %s (%s)", spm_file, exc)
        return None
