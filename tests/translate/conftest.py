"""A tiny MarianMT model and tokenizer, built offline once per test run (a few seconds).

SentencePiece is trained on the sentences below, the OPUS-MT vocabulary layout is written
by hand (`</s>` 0, `<unk>` 1, the pieces, `<pad>` last: also the decoder start), and a
random MarianMTModel of a few thousand parameters is saved beside it. Its output is random
text: tests assert shapes, statuses and the loading path, never the words.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.discord.conftest import feed_server  # noqa: F401  (test_pass.py)

SENTENCES = [
    "Bitcoin rallies to a record high as ETF approval nears.",
    "Ether falls after an exchange hack; liquidations pile up.",
    "De bitcoinkoers stijgt na goedkeuring van de ETF.",
    "Cryptobeurs daalt, liquidaties nemen toe.",
    "Markets are calm ahead of the Fed meeting on 12 March.",
    "ZXQA ZXQB ZXQC placeholders stay as they are: 1,5 or 1.5 or 70.000 and 70,000.",
    "Solana and Cardano gain 3% while XRP slips 0.4 percent.",
    "Toezichthouder AFM waarschuwt voor risico's van crypto.",
    "The SEC delays a decision on spot Ethereum funds until 2027.",
    "Whales moved 10,000 BTC to exchanges this week, data shows.",
]


def build_tiny_marian(path: Path) -> Path:
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    path.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(SENTENCES * 4),
        model_writer=buffer,
        vocab_size=180,
        hard_vocab_limit=False,
        model_type="unigram",
        character_coverage=1.0,
        minloglevel=2,
    )
    for name in ("source.spm", "target.spm"):
        (path / name).write_bytes(buffer.getvalue())
    proc = spm.SentencePieceProcessor(model_proto=buffer.getvalue())
    pieces = [proc.id_to_piece(i) for i in range(proc.get_piece_size())]
    vocab = {"</s>": 0, "<unk>": 1}
    for piece in pieces:
        vocab.setdefault(piece, len(vocab))
    vocab["<pad>"] = len(vocab)
    (path / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    tokenizer = MarianTokenizer(
        str(path / "source.spm"),
        str(path / "target.spm"),
        str(path / "vocab.json"),
        source_lang="en",
        target_lang="nl",
        model_max_length=64,
    )
    tokenizer.save_pretrained(path)
    pad = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab),
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=64,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
    )
    torch.manual_seed(0)
    MarianMTModel(config).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_marian(tmp_path_factory.mktemp("tiny-marian"))


LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Name lookups and connections beyond loopback are recorded and refused."""
    import socket

    attempts: list[str] = []
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host not in LOOPBACK:
            attempts.append(f"lookup {host}")
            raise OSError("network disabled in tests")
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    def connect(sock: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in LOOPBACK:
            attempts.append(f"connect {address}")
            raise OSError("network disabled in tests")
        return real_connect(sock, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts
