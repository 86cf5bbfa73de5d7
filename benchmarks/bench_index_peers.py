"""Full index build: this project against LangChain, LlamaIndex and the raw encode floor.

    .venv/bin/python benchmarks/bench_index_peers.py [--files 150] [--reps 3] [--reindex]

Writes a corpus of `--files` files (about 10 chunks each; 1000 files ~ 10,000 chunks, see
perf_corpus.py), then builds a fresh index of it with each system in turn, each in its
own process, `--reps` times: ours, floor, langchain, llamaindex, ours, floor, ... and
prints medians of wall time, chunks per second and peak memory, with ratios. With
--reindex, our runs also time re-indexing after one file changes and after ten are added.
Peers are skipped (with a note) when they are not installed: benchmarks/setup_bench.sh.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import HERE, RESULTS, bench_python, interleave, medians, ratios, run_worker, save  # noqa: E402
from perf_corpus import write_corpus  # noqa: E402

PEER_MODULES = {"langchain": "langchain_community", "llamaindex": "llama_index.vector_stores.faiss"}


def available(system: str) -> bool:
    module = PEER_MODULES.get(system)
    if module is None:
        return True
    probe = subprocess.run([bench_python(), "-c", f"import {module}"], capture_output=True)
    if probe.returncode != 0:
        print(f"note: {system} is not installed; run benchmarks/setup_bench.sh", file=sys.stderr)
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--systems", default="ours,floor,langchain,llamaindex")
    parser.add_argument("--reindex", action="store_true", help="also time re-indexing (ours)")
    args = parser.parse_args()
    systems = [s for s in args.systems.split(",") if available(s)]
    corpus = RESULTS / f"corpus-{args.files}"
    if not corpus.is_dir() or len(list(corpus.glob("*.txt"))) != args.files:
        shutil.rmtree(corpus, ignore_errors=True)
        write_corpus(corpus, args.files)

    def run(system: str, rep: int) -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            docs = Path(tmp) / "docs"
            shutil.copytree(corpus, docs)  # --reindex changes files: each run gets its own copy
            extra = ["--reindex"] if args.reindex and system == "ours" else []
            result = run_worker(bench_python(), HERE / "index_worker.py", system, str(docs),
                                str(Path(tmp) / "index"), *extra)
            kept = RESULTS / f"index-ours-{args.files}"  # bench_retrieval.py reuses it
            if system == "ours" and not kept.exists():
                shutil.copytree(Path(tmp) / "index", kept)
            return result

    runs = interleave(systems, args.reps, run)
    seconds = medians(runs, "seconds")
    peaks = medians(runs, "peak_rss_mb")
    against = [s for s in ("floor", "langchain", "llamaindex") if s in seconds]
    time_ratios = ratios(seconds, against)
    print(f"\n{args.files} files, {args.reps} repetition(s), medians:")
    print(f"{'system':11} {'chunks':>7} {'seconds':>8} {'chunks/s':>9} {'peak MiB':>9} {'growth':>7}  time ratio to "
          + ", ".join(against))
    for s in systems:
        rows = runs[s]
        growth = statistics.median(r["peak_growth_mb"] for r in rows)
        print(f"{s:11} {rows[0]['chunks']:7} {seconds[s]:8.1f} {rows[0]['chunks'] / seconds[s]:9.1f} "
              f"{peaks[s]:9.0f} {growth:7.0f}  "
              + ", ".join(f"{time_ratios[s][o]:.2f}x" for o in against))
    summary = {"files": args.files, "reps": args.reps, "median_seconds": seconds, "median_peak_rss_mb": peaks,
               "time_ratios": time_ratios, "runs": runs}
    if args.reindex and "ours" in runs:
        full = seconds["ours"]
        one = statistics.median(r["one_changed_seconds"] for r in runs["ours"])
        ten = statistics.median(r["ten_added_seconds"] for r in runs["ours"])
        print(f"re-index after 1 of {args.files} files changed: {one:.2f} s = {one / full:.1%} of a full build; "
              f"after 10 added: {ten:.2f} s = {ten / full:.1%}")
        summary["reindex"] = {"one_changed_seconds": one, "ten_added_seconds": ten,
                              "one_changed_share": one / full, "ten_added_share": ten / full}
    print(f"saved {save(f'index-peers-{args.files}', summary)}")


if __name__ == "__main__":
    main()
