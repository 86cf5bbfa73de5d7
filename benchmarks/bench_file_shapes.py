"""Indexing time against the encode floor for two shapes of the same text: whole articles
(one file each) and one paragraph per file.

    .venv/bin/python benchmarks/bench_file_shapes.py [--reps 3] [--systems ours,ours-intra-op,floor]

Both folders hold exactly the SQuAD sample's text (10 articles, 390 paragraphs; see
squad_corpus.py): `articles/` as 10 files, `paragraphs/` as 390 files of one paragraph.
Each system builds a fresh index of each folder in its own process (index_worker.py),
alternately (shape by shape, system by system, `--reps` times), and the table gives
medians and the ratio to the floor of the same shape: `SentenceTransformer.encode` of that
shape's chunk texts, which is what per-file work (scan, hash, read, chunk, small embedding
calls, saving) adds to.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import HERE, RESULTS, bench_python, interleave, medians, run_worker, save  # noqa: E402
from squad_corpus import DEFAULT_SQUAD, load_squad, write_articles  # noqa: E402

SHAPES = ("articles", "paragraphs")


def write_shapes(folder: Path, squad: Path = DEFAULT_SQUAD) -> dict[str, Path]:
    """articles/: one file per article; paragraphs/: one file per paragraph, same text."""
    articles = load_squad(squad)
    shutil.rmtree(folder, ignore_errors=True)
    write_articles(articles, folder / "articles")
    paragraphs = folder / "paragraphs"
    paragraphs.mkdir(parents=True)
    number = 0
    for article in articles:
        for paragraph in article["paragraphs"]:
            (paragraphs / f"p{number:04d}.txt").write_text(paragraph["context"].strip() + "\n", encoding="utf-8")
            number += 1
    return {shape: folder / shape for shape in SHAPES}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--systems", default="ours,ours-intra-op,floor")
    args = parser.parse_args()
    systems = args.systems.split(",")
    if "floor" not in systems:
        systems.append("floor")
    folders = write_shapes(RESULTS / "file-shapes", args.squad)
    jobs = [f"{shape}/{system}" for shape in SHAPES for system in systems]

    def run(job: str, rep: int) -> dict:
        shape, system = job.split("/")
        with tempfile.TemporaryDirectory() as tmp:
            return run_worker(bench_python(), HERE / "index_worker.py", system, str(folders[shape]),
                              str(Path(tmp) / "index"))

    runs = interleave(jobs, args.reps, run)
    seconds = medians(runs, "seconds")
    print(f"\nthe SQuAD sample's text in two shapes, {args.reps} repetition(s), medians:")
    print(f"{'shape':11} {'files':>5} {'system':14} {'chunks':>6} {'seconds':>8} {'chunks/s':>8} "
          f"{'peak MiB':>8}  time / floor")
    table = []
    for job in jobs:
        shape, system = job.split("/")
        rows = runs[job]
        ratio = seconds[job] / seconds[f"{shape}/floor"]
        files = len(list(folders[shape].glob("*.txt")))
        peak = statistics.median(r["peak_rss_mb"] for r in rows)
        table.append({"shape": shape, "files": files, "system": system, "chunks": rows[0]["chunks"],
                      "seconds": seconds[job], "peak_rss_mb": peak, "time_over_floor": round(ratio, 3)})
        print(f"{shape:11} {files:5} {system:14} {rows[0]['chunks']:6} {seconds[job]:8.1f} "
              f"{rows[0]['chunks'] / seconds[job]:8.1f} {peak:8.0f}  {ratio:.2f}x")
    print(f"saved {save('file-shapes', {'reps': args.reps, 'table': table, 'runs': runs})}")


if __name__ == "__main__":
    main()
