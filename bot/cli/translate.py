"""`python -m bot translate "text" --to nl`: one text through the pipeline's translation path;
`python -m bot translate eval FILE --to nl|en`: chrF and BLEU against references.

Both load the configured model from local files (`python -m bot models download` first) and
use the same masking, checks and fallback as the pipeline (bot/translate/engine.py).
The eval FILE is UTF-8 text, one pair per line: the source, a tab, the reference
translation; blank lines and lines starting with `#` are skipped. Scores need sacrebleu
(`pip install -e ".[eval]"`); a fallback counts as the untranslated source, as readers see it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings
from bot.i18n import _, fmt_number, use_language
from bot.translate.engine import Translator, translate_articles
from bot.translate.marian import TranslatorLoadError
from bot.translate.mask import mask
from bot.translate.service import SOURCE_OF, Translators
from bot.translate.store import PendingArticle, Translation
from bot.translate.text import split_sentences


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "translate",
        help='translate one text (translate "text" --to nl) or score a model (translate eval FILE)',
    )
    parser.add_argument("words", nargs="+", metavar="TEXT", help='the text, or "eval FILE"')
    parser.add_argument("--to", choices=sorted(SOURCE_OF), required=True, help="target language")
    parser.set_defaults(handler=handle)


def _translator(settings: Settings, target: str) -> Translator:
    # A person asked for it: a missing model is an error, not a quiet fallback, and only
    # this direction's model matters.
    found = Translators(settings).build(target)
    try:
        found.load()
    except TranslatorLoadError as exc:
        raise ConfigError(f"{exc} (run `python -m bot models download`)") from exc
    return found


def translate_text(translator: Translator, text: str) -> Translation:
    return translate_articles(translator, [PendingArticle(0, translator.source_lang, "", text)])[0]


def _one(settings: Settings, text: str, target: str) -> int:
    translator = _translator(settings, target)
    for sentence in split_sentences(text):
        masked = mask(sentence)
        if masked.spans:
            print(_("masked: %(text)s") % {"text": masked.text})
    result = translate_text(translator, text)
    print(result.summary)
    if result.status == "fallback":
        print(_("kept the original: %(why)s") % {"why": result.problems}, file=sys.stderr)
        return 1
    return 0


def read_pairs(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        source, sep, reference = line.partition("\t")
        if not sep or not source.strip() or not reference.strip():
            raise ConfigError(
                _("%(file)s line %(n)s: expected source<TAB>reference")
                % {"file": path, "n": number}
            )
        pairs.append((source.strip(), reference.strip()))
    return pairs


def _eval(settings: Settings, path: Path, target: str) -> int:
    try:
        import sacrebleu
    except ImportError:
        raise ConfigError(_('translate eval needs sacrebleu: pip install -e ".[eval]"')) from None
    if not path.is_file():
        raise ConfigError(_("no such file: %(file)s") % {"file": path})
    pairs = read_pairs(path)
    if not pairs:
        raise ConfigError(_("%(file)s holds no pairs") % {"file": path})
    translator = _translator(settings, target)
    results = [translate_text(translator, source) for source, _ref in pairs]
    hypotheses = [r.summary for r in results]
    references = [[ref for _src, ref in pairs]]
    chrf = sacrebleu.corpus_chrf(hypotheses, references)
    bleu = sacrebleu.corpus_bleu(hypotheses, references)
    fallbacks = sum(r.status == "fallback" for r in results)
    print(_("model: %(model)s") % {"model": translator.model})
    print(
        _("pairs: %(n)s, kept original (fallback): %(fallbacks)s")
        % {"n": len(pairs), "fallbacks": fallbacks}
    )
    print(f"chrF: {fmt_number(chrf.score, 1)}")
    print(f"BLEU: {fmt_number(bleu.score, 1)}")
    return 0


def handle(args: argparse.Namespace, settings: Settings) -> int:
    with use_language(settings.default_language):
        if args.words[0] == "eval" and len(args.words) == 2:
            return _eval(settings, Path(args.words[1]), args.to)
        return _one(settings, " ".join(args.words), args.to)
