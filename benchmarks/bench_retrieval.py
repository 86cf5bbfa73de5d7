"""Retrieval latency and serving memory at 10,000 and 100,000 chunks.

    .venv/bin/python benchmarks/bench_retrieval.py [--files 1000] [--scale 10] [--queries 200]

- 10k: a real index of the perf corpus (1000 files, see perf_corpus.py), built once with
  our indexer and kept in benchmarks/results/ for later runs.
- 100k: synthetic, made from the 10k index: `--scale` copies of every file, so every
  chunk is real text; copy c > 0 stores each vector plus small Gaussian noise (sigma
  0.02 per dimension, renormalised, cosine ~0.93 to the original), so the copies are
  near but not equal, as repeated topics are in a real large collection.
Each index is then served by retrieval_worker.py in a fresh process, once per embedding
backend (--backends; default: auto, which is onnxruntime, and torch): end-to-end latency
per SQuAD question (embedding + search) for each retrieval mode, p50/p95, peak memory
beyond the embedding model, and the IVF recall/latency trade-off that set ann.py's
threshold and nprobe.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import HERE, RESULTS, run_worker, save  # noqa: E402
from perf_corpus import write_corpus  # noqa: E402
from squad_corpus import load_squad  # noqa: E402

NOISE = 0.02


def real_index(files: int) -> Path:
    from rag.config import ModelSettings, Settings
    from rag.embedding import load_embedder
    from rag.indexing import sync_index

    kept = RESULTS / f"index-ours-{files}"  # left by bench_index_peers.py
    if (kept / "manifest.json").is_file():
        return kept
    index, docs = RESULTS / f"retrieval-index-{files}", RESULTS / f"corpus-{files}"
    if not (index / "manifest.json").is_file():
        if not docs.is_dir() or len(list(docs.glob("*.txt"))) != files:
            write_corpus(docs, files)
        print(f"building the {files}-file index (about {files * 10 / 24 / 60:.0f} min) ...", file=sys.stderr)
        sync_index(docs, index, load_embedder(ModelSettings()), Settings(), log=lambda line: print(line, file=sys.stderr))
    return index


def scaled_index(source: Path, scale: int) -> Path:
    from rag.store import VectorStore

    target = RESULTS / f"{source.name}-x{scale}"
    if (target / "manifest.json").is_file():
        return target
    small = VectorStore.load(source)
    big = VectorStore.empty(small.manifest.embedding_model, small.manifest.dimension, small.manifest.chunking,
                            small.manifest.docs_folder)
    rng = np.random.default_rng(0)
    for copy in range(scale):
        for name, entry in small.manifest.files.items():
            chunks = [small.chunks[i] for i in entry.chunk_ids]
            vectors = np.stack([small._faiss.reconstruct(int(i)) for i in entry.chunk_ids])
            if copy:
                vectors = vectors + rng.normal(0, NOISE, vectors.shape).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            big.add_file(f"copy{copy}/{name}", f"{entry.sha256}-{copy}", entry.size, entry.date, chunks, vectors)
    big.save(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backends", default="auto,torch",
                        help="embedding backends to serve with, each in its own process (auto: onnxruntime)")
    args = parser.parse_args()
    questions = [qa["question"] for a in load_squad() for p in a["paragraphs"] for qa in p["qas"]][: args.queries]
    questions_file = RESULTS / "retrieval-questions.json"
    RESULTS.mkdir(exist_ok=True)
    questions_file.write_text(json.dumps(questions))
    small = real_index(args.files)
    big = scaled_index(small, args.scale)
    results = {}
    for label, index in (("real", small), (f"x{args.scale}", big)):
        for backend in args.backends.split(","):
            results[f"{label}, {backend}"] = run_worker(sys.executable, HERE / "retrieval_worker.py", str(index),
                                                       str(questions_file), "--backend", backend)
    for label, r in results.items():
        print(f"\n{label}: {r['chunks']} chunks; load {r['load_seconds']:.1f} s, search index ready in "
              f"{r['prepare_seconds']:.1f} s; peak memory beyond the embedding model {r['peak_beyond_models_mb']:.0f} MiB")
        for mode, p in r["modes"].items():
            print(f"  {mode:8} per query (embed + search): p50 {p['p50_ms']:.1f} ms, p95 {p['p95_ms']:.1f} ms")
        print(f"  question embedding alone: p50 {r['embed_question']['p50_ms']:.1f} ms; "
              f"flat search alone: p50 {r['flat_search']['p50_ms']:.2f} ms")
        print(f"  IVF ({r['ivf_build_seconds']:.1f} s to build): " + "; ".join(
            f"nprobe {n}: recall@4 {v['recall_at_4']:.3f}, p50 {v['p50_ms']:.2f} ms" for n, v in r["ivf"].items()))
    print(f"saved {save('retrieval', results)}")


if __name__ == "__main__":
    main()
