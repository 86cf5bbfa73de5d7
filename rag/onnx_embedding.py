"""The same sentence-transformers model, run by onnxruntime instead of torch.

A local model folder is exported once to ONNX (with torch, which the export needs) into a
cache folder under models/, then served by onnxruntime with the `tokenizers` library:
no torch import at run time. Two precisions:

- "fp32": the same vectors as torch (cosine >= 0.9999), so an index built by either is
  used by the other; 2.6x faster on one question and ~1.1x on indexing batches
  (docs/performance.md).
- "int8": weights quantised per channel by onnxruntime's dynamic quantisation. About 2x
  faster to index, with vectors a little off (mean cosine 0.994 to fp32), so the index
  records a different model id and is rebuilt when switching to or from it.

It handles models made of a Transformer, a Pooling (mean, cls or max) and optionally a
Normalize module, which covers the common sentence-transformers models; anything else is
refused with a ModelError (the torch backend runs every model). This module does not pick
a backend: embedding.load_embedder does.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .config import available_cores
from .embedding import SMALL_BATCH  # up to this many texts run on one thread, as with torch
from .errors import ModelError

EXPORT_FORMAT = 1
PRECISIONS = ("fp32", "int8")
POOLING_MODES = ("mean", "cls", "max")
# Texts per run when indexing, after sorting them by length. Measured on 300 chunks of 200
# words: 8 was the fastest at fp32 (15.4 s; 32: 18.0 s, 64: 20.8 s) and as fast as 32 at int8.
INDEXING_BATCH = 8
# Runs at once when indexing, each on one thread (None: one per usable core). Splitting one
# run of 8 texts over two threads makes every layer wait for the slower thread, which is
# slow whenever the other core is busy; whole runs side by side never wait for each other
# (docs/performance.md). 1: one run at a time on all cores, as before.
INDEXING_WORKERS: int | None = None


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Token vectors (batch, tokens, dim) -> unit sentence vectors (batch, dim).

    Padding tokens (mask 0) never count:

    >>> hidden = np.array([[[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]]])
    >>> mask = np.array([[1, 1, 0]])
    >>> [round(float(x), 3) for x in pool(hidden, mask, "mean")[0]]
    [0.707, 0.707]
    >>> pool(hidden, mask, "cls").tolist()
    [[1.0, 0.0]]
    """
    mask = mask[..., None].astype(hidden.dtype)
    if mode == "mean":
        vectors = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    elif mode == "cls":
        vectors = hidden[:, 0, :]
    elif mode == "max":
        vectors = np.where(mask > 0, hidden, -np.inf).max(axis=1)
    else:
        raise ModelError(f"pooling mode {mode!r} is not supported by the onnx backend")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def export_key(folder: Path) -> str:
    """Names the export of this folder as it is now: its path and each model file's size
    and modification time (cheap, unlike hashing the weights; new weights get a new key)."""
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder).as_posix()}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return f"{folder.resolve().name}-{digest.hexdigest()[:16]}"


class OnnxEmbedder:
    """An exported model folder (see `export_model`) served by onnxruntime."""

    def __init__(self, export_dir: Path, precision: str = "fp32"):
        import onnxruntime
        from tokenizers import Tokenizer

        self.export_dir = export_dir
        self._info = json.loads((export_dir / "export.json").read_text(encoding="utf-8"))
        self.precision = precision
        self.model_id = self._info["model_id"] + ("" if precision == "fp32" else f"+onnx-{precision}")
        self.dimension = int(self._info["dimension"])
        # fp32: a text's vector is bit-for-bit the same alone or in any batch (measured;
        # tests/test_onnx_embedding.py); int8 quantises each run's activations as a whole.
        self.batch_invariant = precision == "fp32"
        self._tokenizer = Tokenizer.from_file(str(export_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(self._info["max_seq_length"]))
        self._tokenizer.enable_padding(pad_id=int(self._info["pad_id"]), pad_token=self._info["pad_token"])
        self._model_path = export_dir / _model_file(precision)
        self._ort = onnxruntime
        self._sessions: dict[int, object] = {}
        self._session(1)  # load now: a broken file fails here, not at the first question

    def _session(self, threads: int):
        """One session per thread count: onnxruntime fixes the count when it loads."""
        if threads not in self._sessions:
            options = self._ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            try:
                self._sessions[threads] = self._ort.InferenceSession(
                    str(self._model_path), options, providers=["CPUExecutionProvider"])
            except Exception as exc:  # onnxruntime raises its own kinds; name the file and the fix
                raise ModelError(f"could not load the exported embedding model {self._model_path}: {exc}; "
                                 f"delete {self.export_dir} and it is exported again") from exc
        return self._sessions[threads]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = [t.lower() for t in texts] if self._info.get("lowercase") else list(texts)
        small = len(texts) <= SMALL_BATCH
        # int8 activations are quantised with one scale per run, so a text's vector shifts a
        # little with the texts run beside it (cosine ~0.99). Questions and answer sentences
        # therefore run one text per run at int8: the same question always gets the same
        # vector, and so the same abstention decision. Indexing batches keep the speed.
        size = 1 if small and self.precision != "fp32" else INDEXING_BATCH
        workers = 1 if small else INDEXING_WORKERS or available_cores()
        # one thread per run; a large call runs `workers` runs at once (see INDEXING_WORKERS),
        # and with one worker, as before, one run at a time on all cores
        session = self._session(1 if small or workers > 1 else 0)
        def run(batch: list[int]) -> np.ndarray:
            return self._run(session, [texts[i] for i in batch])

        return embed_in_batches(length_batches(texts, size), run, len(texts), self.dimension, workers)

    def _run(self, session, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        columns = {"input_ids": [e.ids for e in encodings], "attention_mask": mask,
                   "token_type_ids": [e.type_ids for e in encodings]}
        feed = {name: np.asarray(columns[name], dtype=np.int64) for name in self._info["inputs"]}
        hidden = session.run(None, feed)[0]
        return pool(hidden, mask, self._info["pooling"])


def length_batches(texts: Sequence[str], size: int) -> list[list[int]]:
    """Indexes of `texts`, longest first, in runs of `size`: texts of similar length share a
    run, so little of it is padding.

    >>> length_batches(["a", "ccc", "bb", "dddd"], 2)
    [[3, 1], [2, 0]]
    """
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    return [order[start:start + size] for start in range(0, len(order), size)]


def embed_in_batches(batches: list[list[int]], run: Callable[[list[int]], np.ndarray], count: int,
                     dimension: int, workers: int = 1) -> np.ndarray:
    """Rows `batch` of the result are `run(batch)`, for every batch; with workers > 1 that
    many batches run at once (onnxruntime releases the GIL while it runs). Which thread
    runs which batch never changes a row: each batch's texts are fixed before any runs.

    >>> embed_in_batches([[1], [0, 2]], lambda b: np.array([[i, 0.0] for i in b]), 3, 2, workers=2)[:, 0]
    array([0., 1., 2.], dtype=float32)
    """
    vectors = np.zeros((count, dimension), dtype=np.float32)
    if workers <= 1 or len(batches) <= 1:
        for batch in batches:
            vectors[batch] = run(batch)
        return vectors
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for batch, result in zip(batches, pool.map(run, batches)):
            vectors[batch] = result
    return vectors


def _model_file(precision: str) -> str:
    return "model.onnx" if precision == "fp32" else f"model-{precision}.onnx"


def export_model(folder: Path, cache_dir: Path, model_id: Callable[[], str], precision: str = "fp32") -> Path:
    """The folder holding this model's ONNX export, exporting it first if needed (once:
    about 3 s with torch; int8 adds about 1 s). Files are written under temporary names and
    renamed, so an interrupted export leaves nothing that looks finished. `model_id` is
    called only when exporting: it names the model in the index manifest."""
    if precision not in PRECISIONS:
        raise ModelError(f"precision {precision!r} is unknown; use one of {', '.join(PRECISIONS)}")
    target = cache_dir / export_key(folder)
    if not (target / "export.json").is_file():
        _export_fp32(folder, target, model_id())
    if not (target / _model_file(precision)).is_file():
        _quantize(target, precision)
    return target


def _export_fp32(folder: Path, target: Path, model_id: str) -> None:
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(f"exporting the embedding model to ONNX needs torch and sentence-transformers: {exc}; "
                         f"run scripts/setup.sh") from exc
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    info = _describe(model, model_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        transformer = model[0].auto_model.eval()
        sample = model.tokenizer(["an example sentence", "two"], padding=True, return_tensors="pt")
        args = tuple(sample[name] for name in info["inputs"])
        axes = {name: {0: "batch", 1: "tokens"} for name in [*info["inputs"], "last_hidden_state"]}
        with torch.no_grad(), warnings.catch_warnings():
            # the tracer's notes on shape-dependent Python branches: the branches it records
            # are the ones taken with an attention mask, which every run passes
            warnings.simplefilter("ignore")
            torch.onnx.export(_hidden_states_module(transformer, info["inputs"]), args, str(staging / "model.onnx"),
                              input_names=info["inputs"], output_names=["last_hidden_state"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)
        model.tokenizer.save_pretrained(str(staging))
        if not (staging / "tokenizer.json").is_file():
            raise ModelError(f"the tokenizer of {folder} has no fast (tokenizer.json) form; "
                             f"use --embedding-backend torch")
        (staging / "export.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it private; the models folder is not
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / "export.json").is_file():  # not another process finishing first
                raise
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"could not export the embedding model in {folder} to ONNX: {exc}; "
                         f"use --embedding-backend torch") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _hidden_states_module(transformer, inputs: list[str]):
    """The transformer as a module that takes the tokenizer's tensors in `inputs` order and
    returns only the token vectors: the graph the export records."""
    import torch

    class HiddenStates(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, *tensors):
            return self.transformer(**dict(zip(inputs, tensors))).last_hidden_state

    return HiddenStates()


def _describe(model, model_id: str) -> dict:
    """What running the exported graph needs to reproduce `model.encode`; a ModelError
    when the model has modules the onnx backend does not reproduce."""
    kinds = [type(module).__name__ for module in model]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise ModelError(f"the onnx backend runs Transformer + Pooling (+ Normalize) models, not "
                         f"{' + '.join(kinds)}; use --embedding-backend torch")
    pooling = getattr(model[1], "pooling_mode", None) or model[1].get_pooling_mode_str()
    if pooling not in POOLING_MODES:
        raise ModelError(f"the onnx backend does not reproduce {pooling!r} pooling; use --embedding-backend torch")
    tokenizer = model.tokenizer
    inputs = [name for name in ("input_ids", "attention_mask", "token_type_ids")
              if name in tokenizer.model_input_names]
    get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return {"format": EXPORT_FORMAT, "model_id": model_id, "dimension": int(get_dim()),
            "pooling": pooling, "inputs": inputs, "max_seq_length": int(model.max_seq_length),
            "lowercase": bool(getattr(model[0], "do_lower_case", False)),
            "pad_id": int(tokenizer.pad_token_id or 0), "pad_token": str(tokenizer.pad_token or "[PAD]")}


def _quantize(target: Path, precision: str) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    final = target / _model_file(precision)
    partial = target / f".partial-{os.getpid()}-{final.name}"
    try:
        # Per-channel int8 weights: per-tensor scales measured a mean cosine of 0.935 to
        # the fp32 vectors, per-channel 0.994, at the same speed.
        quantize_dynamic(str(target / "model.onnx"), str(partial), weight_type=QuantType.QInt8, per_channel=True)
        os.replace(partial, final)
    except Exception as exc:
        raise ModelError(f"could not quantise {target / 'model.onnx'} to {precision}: {exc}; "
                         f"use --embedding-backend onnx") from exc
    finally:
        partial.unlink(missing_ok=True)
