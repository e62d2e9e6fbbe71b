"""Fetch the configured models (sentiment, translation) into the local HuggingFace cache
(a build step)."""

from __future__ import annotations

from pathlib import Path

# Files a model needs, classification or translation; weights are picked separately (one
# format only). `*.spm`: the MarianMT tokenizers (source.spm, target.spm) of bot/translate/.
_NEEDED = ["*.json", "*.txt", "*.model", "*.spm", "vocab*", "merges*", "sentencepiece*", "spiece*"]


class DownloadError(RuntimeError):
    """A model could not be downloaded; the message is one line for the user."""


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def download_model(model_id: str, cache_dir: Path | None = None) -> str:
    """Download one model by hub id (local paths are left alone); returns its local folder."""
    if Path(model_id).expanduser().is_dir():
        return str(Path(model_id).expanduser())
    try:
        from huggingface_hub import list_repo_files, snapshot_download
        from huggingface_hub.utils import logging as hf_logging

        # The hub client logs every retry; the one-line error below says what matters.
        hf_logging.set_verbosity_error()

        files = list_repo_files(model_id)
        weights = (
            ["*.safetensors"]
            if any(f.endswith(".safetensors") for f in files)
            else ["pytorch_model.bin"]
        )
        return str(
            snapshot_download(
                model_id,
                cache_dir=str(cache_dir) if cache_dir else None,
                allow_patterns=_NEEDED + weights,
            )
        )
    except Exception as exc:  # network, auth, offline mode, disk: one line, no traceback
        raise DownloadError(f"cannot download {model_id}: {_reason(exc)}") from exc
