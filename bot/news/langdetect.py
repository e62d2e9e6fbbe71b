"""A tiny stop-word language check for Dutch vs English (anything else is "other").

Feeds declare a language, but aggregators mix: this checks the declaration on the article's
own text. Function words are enough for two languages and cost microseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


EN_STOPWORDS = words_of(
    """the of and to in is that for it on with as was at by be this are from or an have has
    not but they which you its will their been were would about after could into more than
    over said says what when who why how new amid after while up out down first"""
)
NL_STOPWORDS = words_of(
    """de het een en van is dat op te in voor niet met zijn er aan als ook maar om bij dan nog
    naar door wordt worden werd uit tot wat zo heeft hebben deze die dit over na volgens meer
    geen wel nu al kan zal zou moet onder tegen tussen jaar nieuwe waarom hoe gaat steeds"""
)
# Frequent function words of neighbouring languages (German, French, Spanish, Portuguese) that
# are neither Dutch nor English: they keep such text from passing as "nl" because of "de".
_OTHER = words_of(
    """der und das ist nicht mit sich auf ein eine den dem für auch wird sind le les des et est
    pour une du dans qui pas sur au que do da os para com um uma em no na el la los las y del
    por se con"""
)
_WORD = re.compile(r"[a-zà-ÿ]+")

MIN_HITS = 3  # fewer stop words than this is too little text to judge
MIN_SHARE = 0.7  # the winning language's share of the stop-word hits


@dataclass(frozen=True)
class Detection:
    language: str  # "en", "nl" or "other"
    confident: bool


def detect(text: str) -> Detection:
    words = _WORD.findall(text.lower())
    en = sum(w in EN_STOPWORDS for w in words)
    nl = sum(w in NL_STOPWORDS for w in words)
    other = sum(w in _OTHER for w in words)
    hits = en + nl
    if other >= max(en, nl) and other >= MIN_HITS:
        return Detection("other", True)
    hits += other
    if hits < MIN_HITS:
        return Detection("other", False)
    top, share = ("nl", nl / hits) if nl > en else ("en", en / hits)
    return Detection(top, share >= MIN_SHARE)


def article_language(text: str, declared: str) -> str:
    """The detected language when the detector is confident, else the feed's declared one."""
    found = detect(text)
    if found.confident:
        return found.language
    return declared
