from __future__ import annotations

import pytest

from bot.sentiment.labels import UnknownLabelScheme, normalise, scheme_for

THREE = {0: "negative", 1: "neutral", 2: "positive"}
STARS = {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"}


def test_three_way_names() -> None:
    assert normalise(THREE, [0.1, 0.2, 0.7]) == ("bullish", pytest.approx(0.6), 0.7)
    label, score, confidence = normalise(THREE, [0.8, 0.15, 0.05])
    assert (label, confidence) == ("bearish", 0.8)
    assert score == pytest.approx(-0.75)
    assert normalise(THREE, [0.2, 0.6, 0.2])[0] == "neutral"


def test_three_way_order_and_case_do_not_matter() -> None:
    shuffled = {"0": "Positive", "1": "NEGATIVE", "2": "Neutral"}  # JSON configs use str keys
    assert normalise(shuffled, [0.9, 0.05, 0.05])[0] == "bullish"
    assert normalise({0: "neg", 1: "neu", 2: "pos"}, [0.7, 0.2, 0.1])[0] == "bearish"


def test_generic_labels_follow_index_convention() -> None:
    generic = {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}
    assert normalise(generic, [0.7, 0.2, 0.1])[0] == "bearish"
    assert normalise(generic, [0.1, 0.2, 0.7])[0] == "bullish"
    assert normalise({0: "LABEL_0", 1: "LABEL_1"}, [0.1, 0.9])[0] == "bullish"
    with pytest.raises(UnknownLabelScheme):
        scheme_for({i: f"LABEL_{i}" for i in range(4)})


def test_stars() -> None:
    label, score, confidence = normalise(STARS, [0.0, 0.0, 0.0, 0.0, 1.0])
    assert (label, score, confidence) == ("bullish", 1.0, 1.0)
    label, score, _ = normalise(STARS, [0.6, 0.3, 0.1, 0.0, 0.0])
    assert label == "bearish"
    assert score == pytest.approx(-0.6 - 0.15)
    assert normalise(STARS, [0.1, 0.1, 0.6, 0.1, 0.1])[:2] == ("neutral", pytest.approx(0.0))
    # Split between 1-2 and 5 stars: the expected star (2.9) is the middle one.
    assert normalise(STARS, [0.3, 0.3, 0.0, 0.0, 0.4])[0] == "neutral"


def test_stars_label_comes_from_the_expected_star() -> None:
    # Summed per group, the two outer pairs (0.35 each) beat the middle star (0.3): the old
    # mapping called this bearish, by the tie-break.
    assert normalise(STARS, [0.15, 0.2, 0.3, 0.2, 0.15])[0] == "neutral"
    assert normalise(STARS, [0.2] * 5)[:2] == ("neutral", pytest.approx(0.0))
    # The band edge: expected star 2.5 (score -0.25) is a tie, and ties go to neutral.
    assert normalise(STARS, [0.25, 0.25, 0.25, 0.25, 0.0])[0] == "neutral"
    assert normalise(STARS, [0.3, 0.25, 0.25, 0.2, 0.0])[0] == "bearish"  # 2.35 stars
    assert normalise(STARS, [0.0, 0.1, 0.3, 0.3, 0.3])[0] == "bullish"  # 3.8 stars
    _label, _score, confidence = normalise(STARS, [0.0, 0.1, 0.3, 0.3, 0.3])
    assert confidence == pytest.approx(0.6)  # the mass of the stars counted as bullish


def test_three_way_ties_go_to_neutral() -> None:
    assert normalise(THREE, [0.4, 0.4, 0.2])[0] == "neutral"
    assert normalise(THREE, [0.5, 0.0, 0.5])[0] == "bearish"  # no neutral mass: the old order


def test_binary_has_a_neutral_zone() -> None:
    binary = {0: "NEGATIVE", 1: "POSITIVE"}
    assert normalise(binary, [0.05, 0.95])[0] == "bullish"
    assert normalise(binary, [0.9, 0.1])[0] == "bearish"
    label, score, _ = normalise(binary, [0.45, 0.55])
    assert label == "neutral"
    assert score == pytest.approx(0.1)


def test_very_variants_scale_the_score() -> None:
    five = {0: "very negative", 1: "negative", 2: "neutral", 3: "positive", 4: "very positive"}
    assert normalise(five, [0, 1, 0, 0, 0])[1] == pytest.approx(-0.5)
    assert normalise(five, [0, 0, 0, 0, 1])[1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "labels", [{0: "cat", 1: "dog"}, {0: "neutral", 1: "positive"}, {}, {0: "1 star", 1: "2 stars"}]
)
def test_unknown_schemes_are_refused(labels: dict[int, str]) -> None:
    with pytest.raises(UnknownLabelScheme):
        scheme_for(labels)


def test_probability_count_must_match() -> None:
    with pytest.raises(ValueError, match="expected 3"):
        normalise(THREE, [0.5, 0.5])
