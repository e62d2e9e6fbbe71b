"""A tiny XLM-R style model folder, built offline: a SentencePiece unigram model trained here
(nmt_nfkc, as XLM-R's), the hub-style tokenizer.json converted from it, a 1-layer encoder."""

from __future__ import annotations

from pathlib import Path

from bench.spm_model import save_xlmr_tokenizer
from bot.sentiment.xlmr_tokenizer import SPM_FILE

TRAINING = [
    "Bitcoin rallies to a record high as ETF approval nears",
    "Bitcoin koers stijgt na goedkeuring van de ETF",
    "Ether falls after an exchange hack; liquidations pile up",
    "De cryptobeurs daalt, liquidaties nemen toe en beleggers zijn bang",
    "Café, résumé, naïve, über, ça va, één, reünie, coördinatie",
    "Markets are calm ahead of the Fed meeting (2024-05-01): 3.5% rates",
    "Ｆｕｌｌ ｗｉｄｔｈ ＡＢＣ １２３ and ﬁ ligatures, ① ② ③, ㎏ ㎞",
    "Solana, Cardano, XRP, Dogecoin and Polkadot gain 10% overnight",
]


def build_xlmr_folder(path: Path, *, vocab_size: int = 300, with_spm: bool = True) -> Path:
    """The folder as the hub ships multilingual-e5-small, in miniature."""
    import sentencepiece as spm
    import torch
    from transformers import BertConfig, BertModel

    path.mkdir(parents=True, exist_ok=True)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TRAINING * 20),
        model_prefix=str(path / "spm"),
        vocab_size=vocab_size,
        model_type="unigram",
        normalization_rule_name="nmt_nfkc",
        hard_vocab_limit=False,
        minloglevel=2,
    )
    model_file = path / "spm.model"
    (path / "spm.vocab").unlink()
    sp = spm.SentencePieceProcessor(model_file=str(model_file))
    # What transformers' XLMRobertaConverter writes: fairseq's four, the pieces after
    # sentencepiece's own three specials, <mask> last; the model's NFKC map as normalizer.
    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [(sp.id_to_piece(i), sp.get_score(i)) for i in range(3, sp.get_piece_size())]
    vocab.append(("<mask>", 0.0))
    save_xlmr_tokenizer(path, vocab, model_file.read_bytes())
    if with_spm:
        model_file.rename(path / SPM_FILE)
    else:
        model_file.unlink()
    bert = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    torch.manual_seed(0)
    BertModel(bert).save_pretrained(path)
    return path
