"""The clustering pass in memory (`cluster.plan`): bounded work, figures, recall."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from bot.news import cluster, dedupe
from bot.news.figures import disagree
from tests.news.cluster_workload import Headline, similar_headlines

T0 = datetime(2025, 12, 12, 12, tzinfo=UTC)


def _rows(headlines: Sequence[Headline]) -> list[Any]:
    return [
        SimpleNamespace(
            id=i, title=h.title, summary=h.summary, language="en", published_at=h.published
        )
        for i, h in enumerate(headlines, start=1)
    ]


def _stories(rows: Sequence[Any]) -> dict[int, int]:
    """Article id -> story key after one pass over `rows`."""
    index, assigned, _ = cluster.plan([], rows)
    return {article: index.find(key) for article, key in assigned}


def _same_story_pairs(story_of: dict[int, int]) -> set[tuple[int, int]]:
    members = defaultdict(list)
    for article, story in story_of.items():
        members[story].append(article)
    return {p for group in members.values() for p in itertools.combinations(sorted(group), 2)}


def test_templated_titles_split_on_amounts_and_join_on_rewrites() -> None:
    titles = [
        "DeFi protocol Curve hacked for $50M in oracle exploit",
        "Curve loses $50 million in oracle exploit",
        "DeFi protocol Curve hacked for $5M in oracle exploit",
        "DeFi protocol Curve hacked in oracle exploit",
        "Bitcoin climbs above $100K as ETF inflows return",
        "Bitcoin price climbs above $100,000 as ETF inflows return",
        "Bitcoin climbs above $90K as ETF inflows return",
    ]
    rows = [
        SimpleNamespace(
            id=i, title=t, summary="", language="en", published_at=T0 + i * timedelta(minutes=5)
        )
        for i, t in enumerate(titles, start=1)
    ]
    story = _stories(rows)
    assert story[1] == story[2]  # "$50M" and "$50 million"
    assert story[3] not in (story[1], story[5])  # $5M is another hack
    # Without an amount it fits either hack, joins one and does not merge them.
    assert story[4] in (story[1], story[3])
    assert story[5] == story[6] != story[7]  # $100K and $100,000 agree; $90K does not


def test_similarity_work_per_article_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """2,000 look-alike headlines: every article is compared with a bounded number of
    titles, not with every similar one before it (the pass used to be quadratic)."""
    calls = 0
    similarity = dedupe.similarity

    def counting(*args: Any, **kwargs: Any) -> float:
        nonlocal calls
        calls += 1
        return similarity(*args, **kwargs)

    per_article: list[int] = []
    add = cluster.StoryIndex.add

    def add_counted(self: cluster.StoryIndex, candidate: dedupe.StoryCandidate) -> None:
        nonlocal calls
        per_article.append(calls)  # an article is added once its story is decided
        calls = 0
        add(self, candidate)

    monkeypatch.setattr(dedupe, "similarity", counting)
    monkeypatch.setattr(cluster.StoryIndex, "add", add_counted)
    index, assigned, _ = cluster.plan([], _rows(similar_headlines(2000, seed=7)))
    assert len(per_article) == len(assigned) == 2000
    assert max(per_article) <= cluster.MAX_COMPARISONS < 100
    assert sum(per_article) < 10 * len(per_article)  # most articles need far fewer
    assert max(map(len, index.postings.values())) < 2 * cluster.POSTINGS_CAP


def test_no_story_mixes_titles_whose_figures_disagree() -> None:
    headlines = similar_headlines(1000, seed=3)
    rows = _rows(headlines)
    tokens = {row.id: dedupe.title_tokens(row.title) for row in rows}
    pairs = _same_story_pairs(_stories(rows))
    assert pairs  # rewrites did cluster
    assert not [(a, b) for a, b in pairs if disagree(tokens[a], tokens[b])]


def test_the_bounds_lose_almost_no_rewrites(monkeypatch: pytest.MonkeyPatch) -> None:
    """Against the same pass without bounds (every title sharing a token is scored), the
    bounded index finds nearly all pairs of rewrites of one event."""
    headlines = similar_headlines(600, seed=5)
    rows = _rows(headlines)
    truth = _same_story_pairs({row.id: h.event for row, h in zip(rows, headlines, strict=True)})
    bounded = _same_story_pairs(_stories(rows)) & truth
    for name in ("LOOKUP_TOKENS", "POSTINGS_CAP", "SCORED", "EXAMINED", "PER_STORY"):
        monkeypatch.setattr(cluster, name, 10**9)
    unbounded = _same_story_pairs(_stories(rows)) & truth
    assert len(unbounded) > len(truth) * 0.8
    assert len(bounded) >= len(unbounded) * 0.97
