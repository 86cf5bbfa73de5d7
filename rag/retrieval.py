"""Question -> ranked Hits, by dense (embedding), lexical (BM25) or hybrid retrieval.

Hybrid retrieval fuses the two rankings with weighted reciprocal rank fusion (RRF): each
chunk scores sum(weight / (rrf_k + rank)) over the rankings it appears in. RRF needs no
score calibration between cosine and BM25, which live on unrelated scales. Every hit of every
mode carries its cosine similarity (`Hit.dense`), which the abstention check reads.
"""
from __future__ import annotations

import dataclasses

from .config import check_retrieval_mode
from .embedding import Embedder
from .store import VectorStore
from .types import Hit


def reciprocal_rank_fusion(rankings: list[list[int]], rrf_k: int = 60,
                           weights: list[float] | None = None) -> list[tuple[int, float]]:
    """Fuse several best-first rankings of ids into one, best first.

    Ties keep the order in which ids were first seen (earlier rankings first). `weights`
    (default: all 1) scale each ranking's votes.

    >>> reciprocal_rank_fusion([[1, 2, 3], [3, 1]], rrf_k=1)
    [(1, 0.8333333333333333), (3, 0.75), (2, 0.3333333333333333)]
    >>> reciprocal_rank_fusion([[1, 2], [2, 1]], rrf_k=1)
    [(1, 0.8333333333333333), (2, 0.8333333333333333)]
    >>> reciprocal_rank_fusion([[1, 2], [2, 1]], rrf_k=1, weights=[1.0, 2.0])
    [(2, 1.3333333333333333), (1, 1.1666666666666665)]
    """
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, item in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + weight / (rrf_k + rank)
    return sorted(fused.items(), key=lambda pair: -pair[1])


def retrieve(store: VectorStore, embedder: Embedder, question: str, top_k: int,
             mode: str = "hybrid", pool: int = 50, rrf_k: int = 5,
             lexical_weight: float = 2.0, vector=None, allowed=None) -> list[Hit]:
    """The `top_k` chunks for the question, best first, by `mode` (see the module docstring).

    Hybrid mode reads each ranking `pool` deep and weighs BM25's votes by `lexical_weight`.
    `vector` is the question's embedding if the caller already has it (else it is made here).
    `allowed` (an array of chunk ids, from a document filter: filters.py) limits both
    rankings to those chunks before their top is taken; None searches every chunk.
    """
    check_retrieval_mode(mode)
    if vector is None:
        vector = embedder.embed([question])[0]
    if mode == "lexical":
        return _with_cosines(store, vector, store.search_lexical(question, top_k, allowed))
    if mode == "dense":
        return store.search(vector, top_k, allowed)
    depth = max(pool, top_k)
    dense = store.search(vector, depth, allowed)
    lexical = {h.chunk.id: h.lexical for h in store.search_lexical(question, depth, allowed)}
    fused = reciprocal_rank_fusion([[h.chunk.id for h in dense], list(lexical)], rrf_k,
                                   [1.0, lexical_weight])[:top_k]
    cosine = {h.chunk.id: h.dense for h in dense}
    missing = [i for i, _ in fused if i not in cosine]
    cosine.update(zip(missing, map(float, store.cosines(vector, missing))))
    return [Hit(store.chunks[i], score, dense=cosine[i], lexical=lexical.get(i, 0.0)) for i, score in fused]


def _with_cosines(store: VectorStore, vector, hits: list[Hit]) -> list[Hit]:
    cosines = store.cosines(vector, [h.chunk.id for h in hits])
    return [dataclasses.replace(h, dense=float(c)) for h, c in zip(hits, cosines)]


def best_cosine(hits: list[Hit]) -> float | None:
    """The highest cosine similarity among the hits (None if there are none)."""
    known = [h.dense for h in hits if h.dense is not None]
    return max(known) if known else None
