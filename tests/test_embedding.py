"""The sentence-transformers adapter: offline loading, ids, unit vectors."""
import shutil

import numpy as np
import pytest

from rag.embedding import SentenceTransformerEmbedder, default_embedding_path, folder_model_id
from rag.errors import ModelError


def test_folder_id_changes_with_the_weights_not_with_the_path(tmp_path):
    a, b = tmp_path / "a" / "model", tmp_path / "b" / "model"
    for folder, weights in ((a, b"weights-1"), (b, b"weights-2")):
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
        (folder / "model.safetensors").write_bytes(weights)
    assert folder_model_id(a) != folder_model_id(b)
    assert folder_model_id(a).startswith("model@")
    (b / "model.safetensors").write_bytes(b"weights-1")
    assert folder_model_id(a) == folder_model_id(b)


def test_folder_without_a_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="holds no sentence-transformers model"):
        SentenceTransformerEmbedder(tmp_path)


@pytest.mark.slow
def test_default_model_embeds_offline_into_unit_vectors(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = SentenceTransformerEmbedder()
    vectors = embedder.embed(["Rashid Meredov is the minister.", "The minister is Rashid Meredov.", "Bananas."])
    assert vectors.shape == (3, 384) and embedder.dimension == 384
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    copy = tmp_path / "copied-model"
    shutil.copytree(default_embedding_path(), copy)
    assert SentenceTransformerEmbedder(copy).model_id == folder_model_id(copy) != embedder.model_id


def test_small_batches_run_on_one_torch_thread_and_the_setting_is_restored():
    import torch

    from rag.embedding import SMALL_BATCH, SentenceTransformerEmbedder

    seen = []

    class Model:
        def encode(self, texts, **_):
            seen.append((len(texts), torch.get_num_threads()))
            return np.ones((len(texts), 3), dtype=np.float32)

    embedder = SentenceTransformerEmbedder.__new__(SentenceTransformerEmbedder)
    embedder._model, embedder.batch_size, embedder.dimension = Model(), 32, 3
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        embedder.embed(["one question"])
        embedder.embed(["a chunk"] * (SMALL_BATCH + 1))
        assert seen == [(1, 1), (SMALL_BATCH + 1, 2)]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
