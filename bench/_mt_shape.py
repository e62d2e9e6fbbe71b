"""The shape of bench/translate.py's work: a tokenizer that splits like OPUS-MT's, and a
CTranslate2 wrapper that ends each greedy segment where a real model would."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

SPM_PIECES = 8_000  # unigram/bpe brackets: as many pieces as the sample text allows
# Pieces per word of OPUS-MT's SentencePiece vocabularies on English news, derived from the
# research notes' Marian benchmark shapes (shared/docs/research/translation.md §2 and §5): a
# headline of median 8-13 words (10.5) as 15 tokens with the end token, 1.33 a word; a
# summary of 2-3 sentences (about 45 words at the feeds' median 16-22 a sentence) as 60,
# 1.33. Their rare words (names, tickers, placeholders) split further: 1.35, end token not
# counted. `--pieces opus` sizes a BPE vocabulary so the bench texts split that finely.
OPUS_TOKENS_PER_WORD = 1.35


def bench_segments(stories: list[tuple[str, str]]) -> list[str]:
    """What the model is given for `stories` on the first try (masked, cased, split)."""
    from bot.translate.engine import model_inputs
    from bot.translate.store import PendingArticle

    return [
        text
        for i, (title, summary) in enumerate(stories)
        for text in model_inputs(PendingArticle(i, "en", title, summary))
    ]


def _train_spm(text: list[str], model_type: str, size: int) -> bytes:
    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(text),
        model_writer=buffer,
        vocab_size=size,
        hard_vocab_limit=False,
        model_type=model_type,
        character_coverage=1.0,
        minloglevel=2,
    )
    return buffer.getvalue()


def tokens_per_word(proto: bytes, segments: list[str]) -> float:
    """SentencePiece pieces per whitespace word of `segments` (end token not counted)."""
    import sentencepiece as spm

    proc = spm.SentencePieceProcessor(model_proto=proto)
    words = sum(len(s.split()) for s in segments)
    return sum(len(proc.encode(s)) for s in segments) / max(1, words)


def train_pieces(text: list[str], pieces: str, segments: list[str]) -> bytes:
    """The bench tokenizer. `opus`: BPE, the vocabulary size (bisected) whose pieces per
    word on `segments` come nearest OPUS_TOKENS_PER_WORD (fewer pieces split finer); the
    brackets: `unigram`/`bpe` with as many pieces as the text allows."""
    if pieces != "opus":
        return _train_spm(text, pieces, SPM_PIECES)
    low, high = 300, SPM_PIECES
    best: tuple[float, bytes] | None = None
    while low <= high:
        size = (low + high) // 2
        proto = _train_spm(text, "bpe", size)
        ratio = tokens_per_word(proto, segments)
        if best is None or abs(ratio - OPUS_TOKENS_PER_WORD) < best[0]:
            best = (abs(ratio - OPUS_TOKENS_PER_WORD), proto)
        if ratio > OPUS_TOKENS_PER_WORD:
            low = size + 1
        else:
            high = size - 1
    assert best is not None
    return best[1]


class StopAt:
    """A CTranslate2 translator whose greedy outputs each stop at `rule(input tokens)`, as a
    real model's do (each segment ends at its own length; a finished one leaves the batch),
    where the suppressed end token would run every segment to the batch's cap. Beam search
    has no step callback: there every segment runs to the batch's cap (errs slow)."""

    rule: Callable[[int], int] | None = None

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def translate_batch(self, source: list[list[str]], **options: Any) -> Any:
        rule = StopAt.rule
        if rule is not None and options.get("beam_size", 2) == 1:  # ctranslate2 default: 2
            ends = [rule(len(tokens)) for tokens in source]
            options["callback"] = lambda step: step.step + 1 >= ends[step.batch_id]
        return self.inner.translate_batch(source, **options)


def timed(found: object, stories: list[tuple[str, str]]) -> tuple[float, float, int]:
    """One generate pass over what the first try sends for `stories` (each distinct segment
    with letters to translate once: what a pass costs when the checks pass; a segment that
    fails is tried once more without masks)."""
    from bot.translate.engine import first_inputs
    from bot.translate.store import PendingArticle

    segments = first_inputs([PendingArticle(i, "en", t, s) for i, (t, s) in enumerate(stories)])
    wall, cpu = time.perf_counter(), time.process_time()
    found.translate(segments)  # type: ignore[attr-defined]
    return time.perf_counter() - wall, time.process_time() - cpu, len(segments)


def python_side(stories: list[tuple[str, str]]) -> float:
    """CPU seconds of everything around the model (prepare, mask, case, split, checks,
    unmask) for `stories`, with a model that echoes its input (so every check passes)."""
    from bot.translate.engine import Generated, translate_articles
    from bot.translate.store import PendingArticle

    class Echo:
        source_lang, target_lang, model = "en", "nl", "echo"

        def translate(self, texts: list[str]) -> list[Generated]:
            return [Generated(t) for t in texts]

    articles = [PendingArticle(i, "en", t, s) for i, (t, s) in enumerate(stories)]
    cpu = time.process_time()
    translate_articles(Echo(), articles)
    return time.process_time() - cpu
