"""Large indexes are searched through an IVF copy that agrees with exact search."""
import numpy as np

import rag.ann
from rag.ann import build_ivf, flat_contents
from rag.store import VectorStore
from rag.types import Chunk

DIM = 16


def _clustered_store(files: int, per_file: int = 10) -> VectorStore:
    """Vectors around a few topics, like real chunks: what IVF lists are made for."""
    rng = np.random.default_rng(1)
    topics = rng.normal(size=(8, DIM))
    store = VectorStore.empty("fake/model", DIM, {"max_words": 150, "overlap_words": 30})
    for f in range(files):
        source = f"f{f}.txt"
        chunks = [Chunk(-1, source, f"text {f} {i}", i, i + 1, 1, 1) for i in range(per_file)]
        vectors = topics[rng.integers(0, 8, per_file)] + rng.normal(scale=0.5, size=(per_file, DIM))
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        store.add_file(source, source, 1, None, chunks, vectors)
    return store


def test_flat_contents_are_the_stored_vectors_and_ids():
    store = _clustered_store(5)
    store.remove_file("f1.txt")
    vectors, ids = flat_contents(store._faiss)
    assert sorted(ids.tolist()) == sorted(store.chunks)
    for row, chunk_id in enumerate(ids):
        assert np.allclose(vectors[row], store._faiss.reconstruct(int(chunk_id)))


def test_ivf_with_every_list_probed_finds_what_flat_search_finds():
    store = _clustered_store(100)
    ivf = build_ivf(*flat_contents(store._faiss), n_lists=20, nprobe=20)
    queries = flat_contents(store._faiss)[0][::37]
    _, exact = store._faiss.search(queries, 4)
    _, approx = ivf.search(queries, 4)
    assert (np.sort(exact, axis=1) == np.sort(approx, axis=1)).all()


def test_large_store_searches_its_ivf_copy_and_rebuilds_it_after_a_change(monkeypatch):
    monkeypatch.setattr(rag.ann, "ANN_MIN_VECTORS", 500)
    store = _clustered_store(60)  # 600 vectors: above the threshold
    searched = store.search_index()
    assert searched is not store._faiss and searched.ntotal == 600
    assert store.search_index() is searched  # built once

    new = np.zeros((1, DIM), dtype=np.float32)
    new[0, 0] = 1.0
    store.add_file("new.txt", "new", 1, None, [Chunk(-1, "new.txt", "fresh", 0, 5, 1, 1)], new)
    assert store.search(new[0], 1)[0].chunk.text == "fresh"
    store.remove_file("new.txt")
    assert all(hit.chunk.source != "new.txt" for hit in store.search(new[0], 4))


def test_small_store_searches_exactly():
    store = _clustered_store(3)
    assert store.search_index() is store._faiss
