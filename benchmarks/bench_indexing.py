"""Indexing speed: a full build against incremental updates, measured side by side.

    .venv/bin/python benchmarks/bench_indexing.py [--articles 10]

Builds an index over the SQuAD sample's articles (one file each) with the real embedding
model, then times: re-indexing with nothing changed, with one file changed, with one file
added, and with one file deleted. The embedding model is loaded once, before timing.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rag.config import Settings  # noqa: E402
from rag.embedding import SentenceTransformerEmbedder  # noqa: E402
from rag.indexing import sync_index  # noqa: E402
from squad_corpus import DEFAULT_SQUAD, load_squad, write_articles  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--articles", type=int, default=10)
    args = parser.parse_args()
    articles = load_squad(args.squad)[: args.articles]
    embedder = SentenceTransformerEmbedder()
    settings = Settings()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        docs, index = Path(tmp) / "docs", Path(tmp) / "index"
        names = write_articles(articles[:-1], docs)

        def run(label):
            started = time.perf_counter()
            _, report = sync_index(docs, index, embedder, settings)
            seconds = time.perf_counter() - started
            rows.append({"run": label, "seconds": round(seconds, 3), "chunks_embedded": report.chunks_embedded,
                         "chunks_total": report.chunks_total})

        run("full build")
        run("nothing changed")
        changed = docs / names[0]
        changed.write_text(changed.read_text(encoding="utf-8") + "\nOne more sentence at the end.\n", encoding="utf-8")
        run("one file changed")
        write_articles(articles[-1:], docs)
        run("one file added")
        (docs / names[1]).unlink()
        run("one file deleted")
    full = rows[0]["seconds"]
    print(f"{'run':18} {'seconds':>8} {'embedded':>9} {'in index':>9} {'full/this':>10}")
    for row in rows:
        row["speedup_vs_full"] = round(full / row["seconds"], 1) if row["seconds"] else None
        print(f"{row['run']:18} {row['seconds']:8.2f} {row['chunks_embedded']:9} {row['chunks_total']:9} "
              f"{row['speedup_vs_full']:>9}x")
    full_rate = rows[0]["chunks_embedded"] / rows[0]["seconds"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"full build: {full_rate:.1f} chunks/s; peak memory {peak_mb:.0f} MB")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "indexing.json").write_text(json.dumps({"rows": rows, "chunks_per_s": full_rate, "peak_mb": peak_mb}, indent=2))


if __name__ == "__main__":
    main()
