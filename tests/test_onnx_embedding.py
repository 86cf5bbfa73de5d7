"""The onnxruntime backend: choosing it, falling back, exporting once, and matching torch."""
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rag.embedding as embedding
from rag.config import ModelSettings, Settings
from rag.errors import ConfigError, ModelError
from rag.onnx_embedding import export_key, pool

ROOT = Path(__file__).resolve().parent.parent


def test_pooling_ignores_padding_in_every_mode():
    hidden = np.array([[[3.0, 4.0], [1.0, 0.0], [100.0, -100.0]]])
    mask = np.array([[1, 1, 0]])
    assert np.allclose(pool(hidden, mask, "max"), [[0.6, 0.8]])  # max of (3,1) and (4,0)
    assert np.allclose(pool(hidden, mask, "mean"), [[2 / np.hypot(2, 2), 2 / np.hypot(2, 2)]])
    with pytest.raises(ModelError, match="not supported"):
        pool(hidden, mask, "lasttoken")


def test_export_key_follows_the_files_of_the_folder(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "model.safetensors").write_bytes(b"1")
    before = export_key(tmp_path / "m")
    assert export_key(tmp_path / "m") == before
    (tmp_path / "m" / "model.safetensors").write_bytes(b"22")
    assert export_key(tmp_path / "m") != before


def test_unknown_backend_is_refused_and_the_environment_variable_is_read(monkeypatch):
    with pytest.raises(ConfigError, match="onnx-int8"):
        Settings(models=ModelSettings(embedding_backend="cuda")).validate()
    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", "torch")
    assert Settings().with_model(None).models.embedding_backend == "torch"
    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", "tensorflow")
    with pytest.raises(ConfigError, match="'tensorflow' is unknown"):
        Settings().with_model(None)


class _TorchStandIn:
    model_id, dimension = "torch", 3

    def __init__(self, path=None):
        self.path = path


@pytest.fixture
def onnx_fails(monkeypatch):
    def fail(models, precision):
        raise ImportError("No module named 'onnxruntime'")

    monkeypatch.setattr(embedding, "_load_onnx", fail)
    monkeypatch.setattr(embedding, "SentenceTransformerEmbedder", _TorchStandIn)


def test_auto_falls_back_to_torch_and_says_why(onnx_fails):
    said = []
    embedder = embedding.load_embedder(ModelSettings(embedding_path="/some/model"), said.append)
    assert isinstance(embedder, _TorchStandIn) and embedder.path == "/some/model"
    assert said == ["embedding with torch: the onnx backend can't start (No module named 'onnxruntime')"]


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_asking_for_onnx_by_name_fails_with_the_fix_instead_of_falling_back(onnx_fails, backend):
    with pytest.raises(ModelError, match="install onnxruntime .* or use --embedding-backend torch"):
        embedding.load_embedder(ModelSettings(embedding_backend=backend))


def test_an_unwritable_models_folder_is_named_with_the_fix(tmp_path, monkeypatch):
    def unwritable(models, precision):
        raise PermissionError(13, "Permission denied", str(tmp_path / "embeddings"))

    monkeypatch.setattr(embedding, "_load_onnx", unwritable)
    with pytest.raises(ModelError, match="Permission denied.*make the models folder writable or use "
                                         "--embedding-backend torch"):
        embedding.load_embedder(ModelSettings(embedding_backend="onnx"))
    monkeypatch.setattr(embedding, "SentenceTransformerEmbedder", _TorchStandIn)
    said = []
    assert isinstance(embedding.load_embedder(ModelSettings(), said.append), _TorchStandIn)
    assert "Permission denied" in said[0]


def test_torch_backend_never_tries_onnx(onnx_fails):
    assert isinstance(embedding.load_embedder(ModelSettings(embedding_backend="torch")), _TorchStandIn)


def test_a_failed_export_leaves_nothing_that_looks_finished(tmp_path, monkeypatch):
    import rag.onnx_embedding as onnx_embedding

    def refuse(model, model_id):
        raise ModelError("the onnx backend runs Transformer + Pooling models, not Transformer + Dense")

    monkeypatch.setattr(onnx_embedding, "_describe", refuse)
    with pytest.raises(ModelError, match="Dense"):
        onnx_embedding.export_model(embedding.default_embedding_path(), tmp_path, lambda: "id")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.mark.slow
def test_onnx_gives_the_torch_vectors_and_exports_once(models_dir):
    texts = ["Who is the Minister of Foreign Affairs of Turkmenistan?", "Rashid Meredov met Bakhtiyor Saidov.",
             "short", "Tashkent hosted the meeting on April 2, 2024. " * 60]  # the last is past 256 tokens
    onnx = embedding.load_embedder(ModelSettings(embedding_backend="onnx", models_dir=str(models_dir)))
    torch_vectors = embedding.SentenceTransformerEmbedder().embed(texts)
    vectors = onnx.embed(texts)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.all((vectors * torch_vectors).sum(axis=1) > 0.9999)
    alone = np.stack([onnx.embed([t])[0] for t in texts])
    assert onnx.batch_invariant  # sentence_cache.py embeds new sentences together on this promise
    assert np.array_equal(onnx.embed(texts * 30)[:4], alone)  # batched with others: bit for bit the same
    assert np.array_equal(onnx.embed(texts[::-1])[::-1], alone)
    assert onnx.model_id == embedding.DEFAULT_EMBEDDING_ID  # so a torch-built index is used as it is

    model_file = onnx.export_dir / "model.onnx"
    stamp = model_file.stat().st_mtime_ns
    again = embedding.load_embedder(ModelSettings(embedding_backend="onnx", models_dir=str(models_dir)))
    assert again.export_dir == onnx.export_dir and model_file.stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_int8_is_close_to_fp32_and_named_apart(models_dir):
    texts = ["Who is the Minister of Foreign Affairs of Turkmenistan?", "Rashid Meredov met Bakhtiyor Saidov."]
    fp32 = embedding.load_embedder(ModelSettings(embedding_backend="onnx", models_dir=str(models_dir)))
    int8 = embedding.load_embedder(ModelSettings(embedding_backend="onnx-int8", models_dir=str(models_dir)))
    assert int8.model_id == embedding.DEFAULT_EMBEDDING_ID + "+onnx-int8"
    assert not int8.batch_invariant  # so cached sentences are embedded one by one
    alone = int8.embed(texts)
    assert np.all((alone * fp32.embed(texts)).sum(axis=1) > 0.98)
    beside_others = int8.embed([texts[0], "Tashkent hosted the meeting on April 2, 2024. " * 20])[0]
    assert np.array_equal(beside_others, alone[0])  # a question's vector never depends on its neighbours
    assert (int8.export_dir / "model-int8.onnx").stat().st_size < (fp32.export_dir / "model.onnx").stat().st_size / 3


@pytest.mark.slow
def test_a_cached_export_runs_without_importing_torch(models_dir):
    embedding.load_embedder(ModelSettings(embedding_backend="onnx", models_dir=str(models_dir)))
    code = ("import sys; from rag.config import ModelSettings; from rag.embedding import load_embedder; "
            f"e = load_embedder(ModelSettings(embedding_backend='onnx', models_dir={str(models_dir)!r})); "
            "e.embed(['a question']); print(sorted({'torch', 'sentence_transformers'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_an_index_built_with_torch_is_used_by_onnx_and_int8_rebuilds_it(models_dir, tmp_path):
    from rag.indexing import sync_index

    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "seeds", docs)
    settings = Settings()
    _, built = sync_index(docs, tmp_path / "index", embedding.SentenceTransformerEmbedder(), settings)
    assert built.chunks_embedded > 0
    onnx = embedding.load_embedder(ModelSettings(embedding_backend="onnx", models_dir=str(models_dir)))
    _, reused = sync_index(docs, tmp_path / "index", onnx, settings)
    assert reused.chunks_embedded == 0 and not reused.changed
    int8 = embedding.load_embedder(ModelSettings(embedding_backend="onnx-int8", models_dir=str(models_dir)))
    _, rebuilt = sync_index(docs, tmp_path / "index", int8, settings)
    assert rebuilt.rebuilt and "onnx-int8" in rebuilt.rebuilt and rebuilt.chunks_embedded == built.chunks_embedded


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_runs_side_by_side_give_the_vectors_of_runs_one_at_a_time(models_dir, monkeypatch, backend):
    from rag import onnx_embedding

    texts = [f"Paragraph {n} says the heron nested by the weir. " * (1 + n % 12) for n in range(90)]
    onnx = embedding.load_embedder(ModelSettings(embedding_backend=backend, models_dir=str(models_dir)))
    monkeypatch.setattr(onnx_embedding, "INDEXING_WORKERS", 1)  # as before: one run at a time, all cores
    one_at_a_time = onnx.embed(texts)
    monkeypatch.setattr(onnx_embedding, "INDEXING_WORKERS", 3)
    assert np.allclose(onnx.embed(texts), one_at_a_time, atol=1e-5)
