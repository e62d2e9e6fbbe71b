"""Convert a transformers MarianMT checkpoint to CTranslate2 once, and reuse the result.

The models are still fetched as transformers checkpoints (`python -m bot models download`);
CTranslate2 reads its own format, so the checkpoint is converted with
`ctranslate2.converters.TransformersConverter` (int8 weights unless TRANSLATION_QUANTIZE is
off) into `<hub cache>/ctranslate2/` (HF_CACHE_DIR, else the HuggingFace hub cache): beside
the checkpoint it is made from, so the build step that fills one fills the other, and
clearing the model cache clears both. The database's data folder is left to runtime state.

One folder per source and version: `<label>-<fingerprint>`, where the label names the
source (hub id, or a local folder's name plus a hash of its path) and the fingerprint hashes
the checkpoint's files (name, size, mtime; a hub snapshot's path carries its commit), the
quantisation and the CTranslate2 version. A changed checkpoint therefore converts again and
the superseded folder is removed. Conversion writes into a temporary folder and renames it
into place (atomic), so a crash or an error halfway never leaves a half model where a load
would find it. Converting needs torch and transformers (the checkpoint is loaded once);
translating with the result needs neither.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from bot.translate.marian import TranslatorLoadError, _hub_offline, _reason

FOLDER = "ctranslate2"
MODEL_FILE = "model.bin"  # written last by the converter; its presence means complete
_STALE_TEMP_SECONDS = 3_600  # a temporary folder this old belongs to a crashed conversion


def cache_root(cache_dir: Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir).expanduser() / FOLDER
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE) / FOLDER


def checkpoint_folder(model_id: str, cache_dir: Path | None) -> Path:
    """The local folder of the transformers checkpoint: the folder itself, or the hub
    cache's snapshot (local files only, hub offline)."""
    folder = Path(model_id).expanduser()
    if folder.is_dir():
        return folder.resolve()
    try:
        from huggingface_hub import snapshot_download

        with _hub_offline():
            found = snapshot_download(
                model_id,
                cache_dir=str(cache_dir) if cache_dir else None,
                local_files_only=True,
            )
    except Exception as exc:  # not downloaded, malformed id
        raise TranslatorLoadError(f"cannot load model {model_id!r}: {_reason(exc)}") from exc
    return Path(found)


def _label(model_id: str, source: Path) -> str:
    if Path(model_id).expanduser().is_dir():
        path_hash = hashlib.sha256(str(source).encode()).hexdigest()[:8]
        name = f"{source.name}-{path_hash}"
    else:
        name = model_id.replace("/", "--")
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100]


def fingerprint(source: Path, quantization: str) -> str:
    import ctranslate2

    digest = hashlib.sha256(f"{source}\0{quantization}\0{ctranslate2.__version__}\n".encode())
    for path in sorted(source.iterdir()):
        if path.is_file():  # follows the hub cache's symlinks to the blobs
            stat = path.stat()
            digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def converted(model_id: str, cache_dir: Path | None, *, quantization: str = "int8") -> Path:
    """The CTranslate2 folder for `model_id`, converting it first when there is none for
    this version of the checkpoint. Raises TranslatorLoadError (one line) on failure."""
    source = checkpoint_folder(model_id, cache_dir)
    label = _label(model_id, source)
    root = cache_root(cache_dir)
    try:
        target = root / f"{label}-{fingerprint(source, quantization)}"
        if (target / MODEL_FILE).is_file():
            return target
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{label}-", suffix=".tmp", dir=root))
    except Exception as exc:  # ctranslate2 missing, unreadable folder, read-only cache
        raise TranslatorLoadError(f"cannot convert model {model_id!r}: {_reason(exc)}") from exc
    try:
        _convert(source, work / "model", quantization)
        try:
            os.rename(work / "model", target)
        except OSError:
            if not (target / MODEL_FILE).is_file():
                raise
            # another process converted the same version first: its copy is as good
    except Exception as exc:  # not a Marian model, missing weights, disk full, ...
        raise TranslatorLoadError(
            f"cannot convert model {model_id!r} to CTranslate2: {_reason(exc)}"
        ) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _drop_stale(root, label, keep=target)
    return target


def _convert(source: Path, out: Path, quantization: str) -> None:
    from ctranslate2.converters import TransformersConverter
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    with _hub_offline():
        TransformersConverter(str(source)).convert(
            str(out), quantization=None if quantization == "float32" else quantization
        )


def _drop_stale(root: Path, label: str, keep: Path) -> None:
    """Earlier versions of the same source, and temporary folders of crashed conversions."""
    version = re.compile(re.escape(label) + r"-[0-9a-f]{16}")
    now = time.time()
    for path in root.iterdir():
        if path == keep or not path.is_dir():
            continue
        crashed = path.name.startswith(f".{label}-") and path.name.endswith(".tmp")
        if version.fullmatch(path.name) or (
            crashed and now - path.stat().st_mtime > _STALE_TEMP_SECONDS
        ):
            shutil.rmtree(path, ignore_errors=True)
