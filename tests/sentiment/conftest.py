"""A tiny BERT-style classifier and tokenizer, built and saved offline once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.sentiment.wordpiece import wordpiece_tokenizer

SENTENCES = [
    "bitcoin rallies to a record high as etf approval nears",
    "ether falls after exchange hack, liquidations pile up",
    "bitcoin koers stijgt na goedkeuring etf",
    "crypto beurs daalt, liquidaties nemen toe",
    "markets are calm ahead of the fed meeting",
]

ModelFactory = Callable[[str, dict[int, str], list[float]], Path]


def build_tiny_model(path: Path, id2label: dict[int, str], bias: list[float]) -> Path:
    """Save a 1-layer BERT classifier whose output is fixed by `bias` (weights zeroed)."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    fast = wordpiece_tokenizer(SENTENCES, vocab_size=200, model_max_length=10_000)
    # model_max_length: unset limits are huge; the model's 32 positions must win
    config = BertConfig(
        vocab_size=len(fast),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.tensor(bias))
    fast.save_pretrained(path)
    model.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_model_factory(tmp_path_factory: pytest.TempPathFactory) -> ModelFactory:
    built: dict[str, Path] = {}

    def make(name: str, id2label: dict[int, str], bias: list[float]) -> Path:
        if name not in built:
            built[name] = build_tiny_model(tmp_path_factory.mktemp(name), id2label, bias)
        return built[name]

    return make


@pytest.fixture(scope="session")
def positive_model(tiny_model_factory: ModelFactory) -> Path:
    """negative/neutral/positive labels, strongly positive whatever the text."""
    return tiny_model_factory(
        "positive", {0: "negative", 1: "neutral", 2: "positive"}, [0.0, 0.0, 4.0]
    )


@pytest.fixture(scope="session")
def one_star_model(tiny_model_factory: ModelFactory) -> Path:
    """1-5 star labels (like the default model), strongly '1 star' whatever the text."""
    stars = {i: f"{i + 1} star" + ("s" if i else "") for i in range(5)}
    return tiny_model_factory("stars", stars, [4.0, 0.0, 0.0, 0.0, 0.0])


def build_tiny_encoder(path: Path) -> Path:
    """Save a bare 1-layer BERT encoder (no classifier): 16 wide, random weights, no dropout."""
    import torch
    from transformers import BertConfig, BertModel

    fast = wordpiece_tokenizer(SENTENCES, vocab_size=200, model_max_length=10_000)
    config = BertConfig(
        vocab_size=len(fast),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        hidden_dropout_prob=0.0,  # a few fine-tuning steps then fit the texts reliably
        attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_encoder(tmp_path_factory.mktemp("encoder"))
