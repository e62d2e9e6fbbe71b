from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.news import dedupe
from bot.news.clean import clean_title
from bot.news.dedupe import StoryCandidate, match_stories, should_merge, similarity, title_tokens
from bot.news.parse import parse_bytes
from tests.news.conftest import saved

T0 = datetime(2025, 12, 12, 12, tzinfo=UTC)


def test_tokens_drop_stopwords_of_both_languages_and_keep_numbers() -> None:
    assert title_tokens("Do Kwon krijgt 15 jaar cel voor de instorting van Terra") == {
        "do",
        "kwon",
        "krijgt",
        "15",
        "cel",
        "instorting",
        "terra",
    }
    assert "the" not in title_tokens("The price of the coin")


def test_amounts_are_spelled_one_way() -> None:
    assert title_tokens("$90K") == title_tokens("$90,000") == title_tokens("$90.000")
    assert title_tokens("$1.5B") == {"1500000000"}
    assert title_tokens("1,5 procent") == title_tokens("1.5 procent")  # Dutch decimal comma
    assert title_tokens("260%") == {"260%"}


def test_rewrites_of_one_story_are_similar_and_different_stories_are_not() -> None:
    a = title_tokens("YouTube enables PYUSD stablecoin payouts for US creators: Report")
    b = title_tokens(
        "YouTube now allows US creators to receive payouts in PayPal's PYUSD stablecoin"
    )
    c = title_tokens("Bitcoin miners could boost corporate adoption as crypto treasury buys slow")
    assert similarity(a, b) >= dedupe.THRESHOLD
    assert similarity(a, c) == 0.0


def test_a_short_title_must_be_contained() -> None:
    short = title_tokens("Most Influential: Tom Lee")
    other = title_tokens("Strategy's Cash Reserve Was a 'Smart' Move, Says BitMine's Tom Lee")
    assert similarity(short, other) == 0.0


def test_match_respects_the_window() -> None:
    tokens = title_tokens("Tether offers to buy Italian football club Juventus")
    cand = StoryCandidate(7, title_tokens("Tether wants to take over football club Juventus"), T0)
    assert match_stories(tokens, T0 + timedelta(hours=3), [cand]) == [7]
    assert match_stories(tokens, T0 + dedupe.STORY_WINDOW + timedelta(hours=1), [cand]) == []


def test_roundups_do_not_merge_unrelated_stories() -> None:
    banks = [title_tokens("Ripple, Circle and BitGo secure approval for US banking charters")]
    hex_trust = [title_tokens("Hex Trust to issue and custody wrapped XRP across blockchains")]
    assert not should_merge(banks, hex_trust)
    juventus_a = [
        title_tokens("Crypto Firm Tether Says It Wants to Take Over Football Club Juventus")
    ]
    juventus_b = [title_tokens("Crypto Giant Tether Makes Offer to Acquire Juventus Soccer Club")]
    assert should_merge(juventus_a, juventus_b)


def test_clusters_on_real_feeds_of_one_day() -> None:
    """Single pass over four outlets of 2025-12-12, oldest first, as the store does it."""
    items = []
    for name in (
        "coindesk_en_20251212.rss",
        "cointelegraph_en_20251212.rss",
        "decrypt_en_20251212.rss",
        "theblock_en_20251212.rss",
    ):
        for e in parse_bytes(saved(name)).entries:
            assert e.published is not None
            items.append((e.published, name, clean_title(e.title)))
    items.sort()
    candidates: list[StoryCandidate] = []
    story_of: dict[str, int] = {}
    for n, (published, _name, title) in enumerate(items):
        tokens = title_tokens(title)
        weight = dedupe.token_weights([c.tokens for c in candidates])
        found = match_stories(tokens, published, candidates, weight)
        story = found[0] if found else n
        story_of[title] = story
        candidates.append(StoryCandidate(story, tokens, published))
    same = [
        "Paxos, Fidelity, Ripple, BitGo, and Circle secure US trust bank approvals",
        "Ripple, Circle and BitGo secure conditional approval for US banking charters",
        "Circle, Ripple, Paxos, Fidelity and BitGo Get Banking Charters Approved by OCC",
    ]
    assert len({story_of[t] for t in same}) == 1
    kalshi = [t for t in story_of if "Phantom" in t and "Kalshi" in t]
    assert len(kalshi) == 4 and len({story_of[t] for t in kalshi}) == 1
    assert (
        story_of["Most Influential: Tom Lee"]
        != story_of[
            "Bitcoin Giant Strategy's Cash Reserve Was a 'Smart' Move, Says BitMine's Tom Lee"
        ]
    )
    # Far fewer stories than articles, but most articles stand alone.
    assert len(items) * 0.6 < len(set(story_of.values())) < len(items)


def test_summaries_confirm_a_weaker_title_match() -> None:
    """Two Dutch rewrites share only 'Tether' and 'Juventus' in the title; the summaries
    agree on the facts (a bid, 1 billion euros, already a shareholder)."""
    title_a = "Tether wil Italiaanse voetbalclub Juventus overnemen"
    summary_a = (
        "Stablecoin-uitgever Tether heeft een bod gedaan op de Italiaanse voetbalclub Juventus. "
        "Het bedrijf is al minderheidsaandeelhouder en wil 1 miljard euro investeren."
    )
    title_b = "Tether doet bod op Juventus: “Bereid 1 miljard euro te investeren”"
    summary_b = "Tether wil voetbalclub Juventus kopen. Het bedrijf bezit al een belang in de club."
    cand = StoryCandidate(3, title_tokens(title_a), T0, dedupe.context_tokens(title_a, summary_a))
    tokens = title_tokens(title_b)
    assert dedupe.CONFIRM_TITLE <= similarity(tokens, cand.tokens) < dedupe.THRESHOLD
    assert match_stories(tokens, T0, [cand]) == []  # title alone: not enough
    context = dedupe.context_tokens(title_b, summary_b)
    assert match_stories(tokens, T0, [cand], context=context) == [3]
    # Another story about the same names: the title overlaps as much, the facts do not.
    title_c = "Juventus-fans boos: supporters willen Tether niet als shirtsponsor van de ploeg"
    summary_c = (
        "Supporters protesteren tegen de nieuwe sponsor op het shirt van de ploeg uit Turijn."
    )
    tokens_c = title_tokens(title_c)
    assert dedupe.CONFIRM_TITLE <= similarity(tokens_c, cand.tokens) < dedupe.THRESHOLD
    context_c = dedupe.context_tokens(title_c, summary_c)
    assert match_stories(tokens_c, T0, [cand], context=context_c) == []


def test_templated_titles_with_different_amounts_are_different_stories() -> None:
    """Shared words say "same story"; the figures say otherwise."""
    cases = [
        (
            "DeFi protocol Curve hacked for $50M in oracle exploit",
            "DeFi protocol Curve hacked for $5M in oracle exploit",
        ),
        (
            "Bitcoin climbs above $100K as ETF inflows return",
            "Bitcoin climbs above $90K as ETF inflows return",
        ),
    ]
    for a, b in cases:
        cand = StoryCandidate(1, title_tokens(a), T0, dedupe.context_tokens(a, ""))
        tokens = title_tokens(b)
        assert similarity(tokens, cand.tokens) >= dedupe.THRESHOLD  # the words alone agree
        assert match_stories(tokens, T0, [cand], context=dedupe.context_tokens(b, "")) == []


def test_same_amount_respelled_or_left_out_is_the_same_story() -> None:
    cand = StoryCandidate(
        1, title_tokens("DeFi protocol Curve hacked for $50M in oracle exploit"), T0
    )
    for title in (
        "DeFi protocol Curve hacked for $50 million in oracle exploit",
        "DeFi protocol Curve hacked in oracle exploit, funds drained",
    ):
        assert match_stories(title_tokens(title), T0, [cand]) == [1], title


def test_a_title_without_figures_does_not_merge_stories_whose_figures_differ() -> None:
    """An article that names no amount matches both hacks; the hacks stay apart."""
    big = [title_tokens("DeFi protocol Curve hacked for $50M in oracle exploit")]
    small = [title_tokens("DeFi protocol Curve hacked for $5M in oracle exploit")]
    bridge = title_tokens("DeFi protocol Curve hacked in oracle exploit")
    assert similarity(bridge, big[0]) >= dedupe.THRESHOLD <= similarity(bridge, small[0])
    assert not should_merge(big, small)
