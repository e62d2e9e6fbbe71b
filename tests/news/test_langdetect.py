from __future__ import annotations

from collections import Counter

import pytest

from bot.news.clean import clean_title, summarize
from bot.news.langdetect import article_language, detect
from bot.news.parse import parse_bytes
from tests.news.conftest import saved


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("cointelegraph_en_20251212.rss", "en"),
        ("theblock_en_20251212.rss", "en"),
        ("tweakers_nl_20200107.xml", "nl"),
        ("nu-nl-algemeen_nl_20200108.xml", "nl"),
        ("crypto-insiders_nl_sample.rss", "nl"),
        ("jn-pt_pt_20180103.rss", "other"),
    ],
)
def test_feed_articles_detected_in_their_language(name: str, language: str) -> None:
    votes = Counter(
        detect(f"{clean_title(e.title)}. {summarize(e.summary)}").language
        for e in parse_bytes(saved(name)).entries
    )
    language_share = votes[language] / sum(votes.values())
    assert language_share >= 0.8, votes


def test_declared_language_wins_when_unsure() -> None:
    assert article_language("Bitcoin", "nl") == "nl"
    assert article_language("XRP $2", "en") == "en"


def test_detected_language_overrides_a_wrong_declaration() -> None:
    dutch = "De koers van bitcoin is deze week volgens analisten niet meer zo sterk als het was."
    assert article_language(dutch, "en") == "nl"
    english = "The price of bitcoin is not as strong this week as it was, according to analysts."
    assert article_language(english, "nl") == "en"
