"""Is a translated segment safe to show? Cheap checks against known failure modes of NMT.

Neural models change numbers ("$231" -> "$239"), loop ("no, no, no, no"), drop pieces they
cannot spell (`<unk>`, which decoding deletes silently) and cut or pad long input. Each check
returns a short problem text; an empty list means the segment may replace its original.
Thresholds are judgement, kept loose: a false alarm only keeps the original.
"""

from __future__ import annotations

import re
from collections import Counter

# Digit groups with the separators languages put between them: "70,000", "1.5", "1'000".
_NUMBER = re.compile(r"\d+(?:[.,'\u00a0\u202f]\d+)*")
_WORD = re.compile(r"\w+")
_LETTER = re.compile(r"[^\W\d_]")

MIN_RATIO, MAX_RATIO = 0.4, 2.5
RATIO_MIN_CHARS = 16  # shorter texts vary too much in length to judge
NGRAM, NGRAM_REPEATS = 3, 3
WORD_RUN = 4  # the same word this many times in a row


def digits(text: str) -> Counter[str]:
    """Each number's digits, separators dropped: "1.5" and "1,5" are the same number."""
    return Counter(re.sub(r"\D", "", m) for m in _NUMBER.findall(text))


def has_letters(text: str) -> bool:
    return bool(_LETTER.search(text))


def _repeats(words: list[str]) -> int:
    grams = Counter(tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1))
    return max(grams.values(), default=0)


def _longest_run(words: list[str]) -> int:
    best = run = 0
    for i, word in enumerate(words):
        run = run + 1 if i and word == words[i - 1] else 1
        best = max(best, run)
    return best


def check_segment(source: str, output: str, *, unknown: bool = False) -> list[str]:
    """Problems of `output` as a translation of `source` (both masked or both plain)."""
    problems: list[str] = []
    if unknown:
        problems.append("<unk> in the output")
    if has_letters(source) and not output.strip():
        return [*problems, "empty output"]
    want, got = digits(source), digits(output)
    if want != got:
        lost = sorted((want - got).elements())
        added = sorted((got - want).elements())
        problems.append(f"numbers changed (lost {lost}, added {added})")
    src_words = _WORD.findall(source.lower())
    out_words = _WORD.findall(output.lower())
    if _repeats(out_words) >= NGRAM_REPEATS > _repeats(src_words) or (
        _longest_run(out_words) >= WORD_RUN > _longest_run(src_words)
    ):
        problems.append("repetition loop")
    if len(source) >= RATIO_MIN_CHARS:
        ratio = len(output) / len(source)
        if not MIN_RATIO <= ratio <= MAX_RATIO:
            problems.append(f"length ratio {ratio:.2f}")
    return problems
