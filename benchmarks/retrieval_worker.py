"""Serve one saved index in a fresh process and time queries; print the figures as JSON.

    python benchmarks/retrieval_worker.py INDEX QUESTIONS.json [--backend auto|onnx-int8|torch]

Loads the embedding model first (its memory is the baseline), then the index, then times
each question end to end (embedding the question + search) for every retrieval mode this
version of rag has, and, for dense search, compares the IVF copy (ann.py) at several
nprobe values with exact flat search: recall@4 and search-only latency.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import current_rss_mb, emit, peak_rss_mb  # noqa: E402
from rag.evaluation import percentile  # noqa: E402

K = 4


def percentiles(seconds: list[float]) -> dict:
    return dict(p50_ms=1000 * statistics.median(seconds), p95_ms=1000 * percentile(seconds, 95))


def retrieval_modes(store, embedder):
    """name -> question -> hits, for each mode rag.retrieval offers (dense, lexical, hybrid)."""
    import inspect

    from rag import retrieval

    if "mode" not in inspect.signature(retrieval.retrieve).parameters:
        return {"dense": lambda q: retrieval.retrieve(store, embedder, q, K)}
    from rag.config import Settings

    r = Settings().retrieval
    return {mode: (lambda q, m=mode: retrieval.retrieve(store, embedder, q, K, m, r.pool, r.rrf_k, r.lexical_weight))
            for mode in ("dense", "lexical", "hybrid")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("index", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--backend", default="auto", help="embedding backend (rag.config.EMBEDDING_BACKENDS)")
    args = parser.parse_args()
    questions = json.loads(args.questions.read_text())

    from rag.ann import build_ivf, flat_contents
    from rag.config import ModelSettings
    from rag.embedding import load_embedder
    from rag.store import VectorStore

    embedder = load_embedder(ModelSettings(embedding_backend=args.backend))
    embedder.embed(["warm up"])
    baseline = current_rss_mb()
    started = time.perf_counter()
    store = VectorStore.load(args.index)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    store.search_index()
    prepare_seconds = time.perf_counter() - started
    result = dict(chunks=len(store), load_seconds=load_seconds, prepare_seconds=prepare_seconds, modes={},
                  backend=args.backend)
    for name, run in retrieval_modes(store, embedder).items():
        run(questions[0])  # first-call costs (lazy structures) are start-up, not latency
        times = []
        for q in questions:
            t0 = time.perf_counter()
            run(q)
            times.append(time.perf_counter() - t0)
        result["modes"][name] = percentiles(times)
    # serving memory: measured before the recall study below builds a second IVF index
    result.update(rss_baseline_mb=baseline, peak_rss_mb=peak_rss_mb(),
                  peak_beyond_models_mb=peak_rss_mb() - baseline)

    vectors = embedder.embed(questions)
    embed_times = []
    for q in questions[:50]:
        t0 = time.perf_counter()
        embedder.embed([q])
        embed_times.append(time.perf_counter() - t0)
    result["embed_question"] = percentiles(embed_times)
    flat = store._faiss
    exact, flat_times = [], []
    for v in vectors:
        t0 = time.perf_counter()
        _, ids = flat.search(v.reshape(1, -1), K)
        flat_times.append(time.perf_counter() - t0)
        exact.append(set(ids[0].tolist()))
    result["flat_search"] = percentiles(flat_times)
    started = time.perf_counter()
    ivf = build_ivf(*flat_contents(flat))
    result["ivf_build_seconds"] = time.perf_counter() - started
    result["ivf"] = {}
    for nprobe in (1, 4, 8, 16, 32, 64):
        ivf.nprobe = nprobe
        found, times = 0, []
        for v, truth in zip(vectors, exact):
            t0 = time.perf_counter()
            _, ids = ivf.search(v.reshape(1, -1), K)
            times.append(time.perf_counter() - t0)
            found += len(truth & set(ids[0].tolist()))
        result["ivf"][nprobe] = dict(recall_at_4=found / (K * len(vectors)), **percentiles(times))
    emit(result)


if __name__ == "__main__":
    main()
