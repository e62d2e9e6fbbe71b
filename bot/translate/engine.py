"""Translate stored stories with any `Translator`: prepare, mask, check, retry, fall back.

Per story: the title (sentence-cased when Title Case or ALL-CAPS) and each summary sentence
are segments. All segments of a batch of stories go to the model together, each distinct
text once (a sentence several stories carry), and none with no words beyond its placeholders;
each output is unmasked with its own story's originals and checked (bot/translate/checks.py).
A segment that fails is tried once more without masks; if that fails too, the whole story
keeps its original title and summary with status 'fallback' and the problems, so a reader
never sees a half-translated story or a bad translation in place of a good original.
Runs in the pipeline worker thread (blocking).
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from bot.translate.checks import check_segment, has_letters
from bot.translate.mask import mask, unmask, without_placeholders
from bot.translate.store import PendingArticle, Translation
from bot.translate.text import learn_names, sentence_case, split_sentences


@dataclass(frozen=True)
class Generated:
    text: str
    unknown: bool = False  # the model produced an <unk> id (decoding deletes it silently)


class Translator(Protocol):
    source_lang: str
    target_lang: str

    @property
    def model(self) -> str:
        """What is stored with each row: the model id plus anything that changes the output."""
        ...

    def translate(self, texts: list[str]) -> list[Generated]:
        """One output per input, in order (blocking; call from a worker thread)."""
        ...


def in_length_batches(
    texts: list[str], size: int, generate: Callable[[list[str]], list[Generated]]
) -> list[Generated]:
    """`generate` over length-sorted batches of `size` (little padding, and each batch's
    output cap follows its own longest input); results in input order. Both engines."""
    out: list[Generated | None] = [None] * len(texts)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        for i, result in zip(chunk, generate([texts[i] for i in chunk]), strict=True):
            out[i] = result
    return [g if g is not None else Generated("") for g in out]


def moses_normalized(tokenizer: Any, texts: list[str]) -> list[str]:
    """Moses punctuation, as OPUS-MT trained (MarianTokenizer.normalize; others: as given)."""
    normalize = getattr(tokenizer, "normalize", None)
    return [normalize(t) for t in texts] if callable(normalize) else texts


L = TypeVar("L")


class LazyTranslator(Generic[L]):
    """What both engines share: settings, the model loaded on first use behind a lock, and
    length-sorted batches. An engine supplies `_load`, `_generate` and its `model` string."""

    engine = ""  # named in the load log line

    def __init__(
        self,
        model_id: str,
        source_lang: str,
        target_lang: str,
        *,
        beams: int = 1,
        threads: int = 0,
        cache_dir: Path | None = None,
        quantized: bool = True,
        batch_size: int = 0,
    ) -> None:
        self.model_id = model_id
        self.source_lang = source_lang
        self.target_lang = target_lang
        self.beams = beams
        self.threads = threads
        self.cache_dir = cache_dir
        self.quantized = quantized
        self.batch_size = batch_size  # 0: the engine's `default_batch` for its beams
        # extra decoding options for the engine's call (the benchmark suppresses the end token)
        self.options: dict[str, Any] = {}
        self._loaded: L | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def load(self) -> None:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
                logging.getLogger(type(self).__module__).info(
                    "loaded translation model %s (%s->%s) on %s",
                    self.model_id,
                    self.source_lang,
                    self.target_lang,
                    self.engine,
                )

    def translate(self, texts: list[str]) -> list[Generated]:
        self.load()
        loaded = self._loaded
        assert loaded is not None
        return in_length_batches(
            texts,
            self.batch_size or self.default_batch(),
            lambda chunk: self._generate(loaded, chunk),
        )

    def default_batch(self) -> int:
        """Segments per model call: 16 (torch's generate() keeps computing a finished
        segment until its whole batch is done, so larger batches waste more)."""
        return 16

    def _load(self) -> L:
        raise NotImplementedError

    def _generate(self, loaded: L, texts: list[str]) -> list[Generated]:
        raise NotImplementedError


@dataclass
class _Segment:
    source: str  # as prepared for the model (cased), unmasked
    masked: str
    spans: dict[str, str]
    result: str | None = None
    problems: list[str] = field(default_factory=list)


def _segment(text: str) -> _Segment:
    m = mask(text)
    return _Segment(text, m.text, m.spans)


@dataclass
class _Story:
    article: PendingArticle
    title: _Segment | None
    sentences: list[_Segment]

    def segments(self) -> list[_Segment]:
        return ([self.title] if self.title else []) + self.sentences


def prepare_title(title: str, summary: str) -> str:
    """The headline as the model should see it: sentence case, names kept (see text.py)."""
    return sentence_case(title, names=learn_names(summary))


def _prepare(article: PendingArticle) -> _Story:
    title = unicodedata.normalize("NFC", article.title).strip()
    summary = unicodedata.normalize("NFC", article.summary).strip()
    # mask first, so tickers and names are placeholders the casing step leaves alone
    head = None
    if has_letters(title):
        masked = mask(title)
        head = _Segment(
            prepare_title(title, summary), prepare_title(masked.text, summary), masked.spans
        )
    return _Story(article, head, [_segment(s) for s in split_sentences(summary)])


def model_inputs(article: PendingArticle) -> list[str]:
    """What the model is given for one story on the first try (benchmarks, the CLI)."""
    return [s.masked for s in _prepare(article).segments()]


def _input(seg: _Segment, masked: bool) -> str:
    return seg.masked if masked else seg.source


def _needs_model(seg: _Segment, masked: bool) -> bool:
    """Letters beyond the placeholders: a segment of only tickers, links, numbers and
    punctuation ("ZXQA: +5%") has nothing to translate and comes back as it is."""
    if masked:
        return has_letters(without_placeholders(seg.masked, seg.spans))
    return has_letters(seg.source)


def first_inputs(articles: list[PendingArticle]) -> list[str]:
    """What the model is given for `articles` on the first try, each distinct text once
    (what a pass costs when every check passes: benchmarks)."""
    segments = [s for a in articles for s in _prepare(a).segments()]
    return list(dict.fromkeys(s.masked for s in segments if _needs_model(s, True)))


def _run(translator: Translator, segments: list[_Segment], *, masked: bool) -> None:
    todo: dict[str, list[_Segment]] = {}  # each distinct input once: a repeated sentence
    for s in segments:
        if _needs_model(s, masked):
            todo.setdefault(_input(s, masked), []).append(s)
        else:
            s.result, s.problems = s.source, []  # nothing to translate
    if not todo:
        return
    inputs = list(todo)
    for text, out in zip(inputs, translator.translate(inputs), strict=True):
        for seg in todo[text]:
            problems = check_segment(text, out.text, unknown=out.unknown)
            if masked:
                restored = unmask(out.text, seg.spans)  # each story's own originals
                problems += restored.problems
                seg.result = restored.text
            else:
                seg.result = out.text
            seg.problems = problems


def translate_articles(translator: Translator, articles: list[PendingArticle]) -> list[Translation]:
    """One Translation per article: 'ok' with the translated texts or 'fallback' with why."""
    stories = [_prepare(a) for a in articles]
    segments = [s for story in stories for s in story.segments()]
    _run(translator, segments, masked=True)
    # The placeholders may be what broke a segment: once more without them.
    _run(translator, [s for s in segments if s.problems and s.spans], masked=False)
    return [_result(translator, story) for story in stories]


def _result(translator: Translator, story: _Story) -> Translation:
    a = story.article
    problems = []
    for index, seg in enumerate(story.segments()):
        if seg.problems:
            where = "title" if seg is story.title else f"sentence {index + (story.title is None)}"
            problems.append(f"{where}: {'; '.join(seg.problems)}")
    if problems:
        return Translation(
            a.article_id,
            translator.target_lang,
            a.source_lang,
            translator.model,
            a.title,
            a.summary,
            "fallback",
            " | ".join(problems),
        )
    title = story.title.result if story.title and story.title.result is not None else a.title
    summary = " ".join(s.result or "" for s in story.sentences)
    return Translation(
        a.article_id, translator.target_lang, a.source_lang, translator.model, title, summary, "ok"
    )
