"""Approximate nearest-neighbour search for large indexes: IVF over the flat index's vectors.

Exact (flat) search costs time in proportion to the number of chunks. From
`ANN_MIN_VECTORS` chunks on, the store searches an IVF index instead (faiss IndexIVFFlat:
the vectors sorted into about sqrt(n) lists around k-means centroids; a query scans only
the `NPROBE` lists whose centroids are closest). The threshold and NPROBE come from
benchmarks/bench_retrieval.py, which measures recall@4 against flat search and latency
for each nprobe (see docs/performance.md).

The flat index stays the saved source of truth: files are removed from and added to it
in place, which HNSW can't do, and its exact search is what the IVF is checked against.
The IVF copy is built in memory from the flat vectors when first needed (a second or two
for 100,000 vectors on 2 cores) and dropped whenever the store changes. No I/O here.
"""
from __future__ import annotations

import math

import numpy as np

# Below this many vectors flat search is exact and fast: measured p50 2.1 ms at 10.6k
# vectors and 20 ms at 106k (linear), so about 10 ms here.
ANN_MIN_VECTORS = 50_000
# Lists scanned per query (of ~sqrt(n)). Measured at 106k vectors: nprobe 16 kept only
# 92.7% of flat search's top 4 (0.30 ms), 64 keeps 98.8% (1.7 ms, against 20 ms flat).
NPROBE = 64
# k-means for the centroids trains on this many vectors per list (faiss warns below 39).
TRAIN_POINTS_PER_LIST = 40


def use_ann(n_vectors: int, min_vectors: int | None = None) -> bool:
    """Whether an index of `n_vectors` is searched through IVF rather than flat.

    >>> use_ann(10_000), use_ann(100_000), use_ann(10_000, min_vectors=5_000)
    (False, True, True)
    """
    return n_vectors >= (ANN_MIN_VECTORS if min_vectors is None else min_vectors)


def ivf_lists(n_vectors: int) -> int:
    """How many IVF lists: about the square root of the index size (faiss's rule of thumb
    for flat lists keeps both the centroid scan and the list scans short).

    >>> ivf_lists(100_000), ivf_lists(3)
    (316, 1)
    """
    return max(1, int(math.sqrt(n_vectors)))


def training_rows(n_vectors: int, n_lists: int, seed: int = 0) -> np.ndarray:
    """Which rows k-means trains on: TRAIN_POINTS_PER_LIST per list, or every row; sorted.

    >>> len(training_rows(100, 4)), len(training_rows(10_000, 10))
    (100, 400)
    >>> bool((training_rows(10_000, 10) == training_rows(10_000, 10)).all())
    True
    """
    wanted = n_lists * TRAIN_POINTS_PER_LIST
    if wanted >= n_vectors:
        return np.arange(n_vectors)
    return np.sort(np.random.default_rng(seed).choice(n_vectors, size=wanted, replace=False))


def flat_contents(index) -> tuple[np.ndarray, np.ndarray]:
    """The vectors and ids of an IndexIDMap2 over IndexFlatIP, as views (no copy)."""
    import faiss

    flat = faiss.downcast_index(index.index)
    n, d = flat.ntotal, flat.d
    vectors = faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d) if n else np.zeros((0, d), np.float32)
    return vectors, faiss.vector_to_array(index.id_map)


def build_ivf(vectors: np.ndarray, ids: np.ndarray, n_lists: int | None = None, nprobe: int = NPROBE):
    """An IndexIVFFlat (inner product) holding `vectors` under `ids`, ready to search."""
    import faiss

    n, d = vectors.shape
    n_lists = n_lists or ivf_lists(n)
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, n_lists, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.niter = 10  # centroids good enough for routing; the default 25 triples the build time
    ivf.cp.seed = 0
    ivf.train(np.ascontiguousarray(vectors[training_rows(n, n_lists)]))
    ivf.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
    ivf.nprobe = min(nprobe, n_lists)
    return ivf
