"""Fine-tune any transformers encoder into a 3-class news sentiment model.

`python -m bot sentiment finetune --base MODEL --data FILE... --out DIR` runs this: the base
(hub id or folder) gets a fresh bearish/neutral/bullish classification head and is trained
with a plain torch loop (AdamW, linear warm-up and decay, fixed seed, one thread by default),
then saved with its tokenizer so `SENTIMENT_MODEL=DIR` loads it through the transformers
backend. No labelled rows are written to DIR, only weights and `finetune.json` (the recipe).
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.sentiment.datasets import Example
from bot.sentiment.types import LABELS

log = logging.getLogger(__name__)

ID2LABEL = dict(enumerate(LABELS))  # 0 bearish, 1 neutral, 2 bullish


class FinetuneError(RuntimeError):
    """The base model could not be loaded or trained; the message is one line."""


@dataclass(frozen=True)
class Recipe:
    epochs: float = 3.0
    batch_size: int = 16
    learning_rate: float = 3e-5
    weight_decay: float = 0.01
    warmup: float = 0.1  # share of the steps
    max_length: int = 128
    max_steps: int | None = None
    seed: int = 0
    threads: int = 1


def _load(base: str, cache_dir: Path | None, local_only: bool) -> tuple[Any, Any]:
    try:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        kwargs: dict[str, Any] = {"local_files_only": local_only}
        if cache_dir is not None:
            kwargs["cache_dir"] = str(cache_dir)
        tokenizer = AutoTokenizer.from_pretrained(base, **kwargs)
        model = AutoModelForSequenceClassification.from_pretrained(
            base,
            num_labels=len(LABELS),
            id2label=ID2LABEL,
            label2id={v: k for k, v in ID2LABEL.items()},
            ignore_mismatched_sizes=True,  # a base with its own head (e.g. 5 stars) gets ours
            **kwargs,
        )
    except Exception as exc:  # transformers raises OSError, ValueError, ...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FinetuneError(f"cannot load base model {base!r}: {reason}") from exc
    return tokenizer, model


def finetune(
    base: str,
    examples: Sequence[Example],
    out: Path,
    recipe: Recipe | None = None,
    *,
    cache_dir: Path | None = None,
    local_only: bool = False,
    sources: Sequence[str] = (),
    progress: Callable[[str], None] = log.info,
) -> Path:
    """Train `base` on `examples` and save the model and tokenizer into `out`."""
    import torch

    recipe = recipe or Recipe()
    if not examples:
        raise FinetuneError("no training examples")
    torch.manual_seed(recipe.seed)
    random.seed(recipe.seed)
    torch.set_num_threads(max(1, recipe.threads))
    tokenizer, model = _load(base, cache_dir, local_only)
    positions = getattr(model.config, "max_position_embeddings", None)
    max_length = (
        min(recipe.max_length, positions) if isinstance(positions, int) else recipe.max_length
    )

    per_epoch = math.ceil(len(examples) / recipe.batch_size)
    total = recipe.max_steps or max(1, math.ceil(per_epoch * recipe.epochs))
    warmup = int(total * recipe.warmup)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=recipe.learning_rate, weight_decay=recipe.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: (
            (s + 1) / (warmup + 1) if s < warmup else max(0.0, (total - s) / max(1, total - warmup))
        ),
    )
    order_rng = random.Random(recipe.seed)
    model.train()
    step, running = 0, 0.0
    while step < total:
        order = list(range(len(examples)))
        order_rng.shuffle(order)
        for start in range(0, len(order), recipe.batch_size):
            if step >= total:
                break
            batch = [examples[i] for i in order[start : start + recipe.batch_size]]
            enc = tokenizer(
                [e.text for e in batch],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="pt",
            )
            labels = torch.tensor([LABELS.index(e.label) for e in batch])
            loss = model(**enc, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            value = float(loss.detach())
            running = 0.9 * running + 0.1 * value if step > 1 else value
            if step % 50 == 0 or step == total:
                progress(f"step {step}/{total}: loss {running:.4f}")
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    info = {"base": base, "data": list(sources), "examples": len(examples), "steps": step}
    (out / "finetune.json").write_text(json.dumps({**info, "recipe": asdict(recipe)}, indent=1))
    return out
