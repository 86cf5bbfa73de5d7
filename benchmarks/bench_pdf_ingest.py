"""PDF ingestion: pages/s and peak memory of our indexing against LangChain and LlamaIndex.

    .venv/bin/python benchmarks/pdf_corpus.py          # the real PDFs (benchmarks/results/pdfs)
    .venv/bin/python benchmarks/bench_pdf_ingest.py [--reps 2] [--systems ours,langchain,llamaindex]

Each system builds a fresh index of the same folder of PDFs, in its own process
(pdf_worker.py), in turn, `--reps` times; the table gives medians of wall time, pages per
second (the folder's page count, from PDFium, over the time), peak RSS with the growth
after the model was loaded, and time ratios. Peers run in benchmarks/.venv
(benchmarks/setup_bench.sh) and are skipped, with a note, when it lacks them.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_index_peers import available  # noqa: E402
from harness import HERE, bench_python, interleave, medians, ratios, run_worker, save  # noqa: E402
from pdf_corpus import DEFAULT_OUT, page_count  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdfs", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--systems", default="ours,langchain,llamaindex")
    args = parser.parse_args()
    pdfs = sorted(args.pdfs.glob("*.pdf"))
    if not pdfs:
        raise SystemExit(f"no PDFs in {args.pdfs}; run benchmarks/pdf_corpus.py first")
    pages = sum(page_count(pdf) for pdf in pdfs)
    systems = [s for s in args.systems.split(",") if available(s)]

    def run(system: str, rep: int) -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            return run_worker(bench_python(), HERE / "pdf_worker.py", system, str(args.pdfs), str(Path(tmp) / "index"))

    runs = interleave(systems, args.reps, run)
    seconds = medians(runs, "seconds")
    against = [s for s in ("langchain", "llamaindex") if s in seconds]
    time_ratios = ratios(seconds, against)
    print(f"\n{len(pdfs)} PDFs, {pages} pages, {args.reps} repetition(s), medians:")
    print(f"{'system':11} {'chunks':>6} {'seconds':>8} {'pages/s':>8} {'peak MiB':>8} {'growth':>6}  time ratio to "
          + ", ".join(against))
    for s in systems:
        rows = runs[s]
        peak = statistics.median(r["peak_rss_mb"] for r in rows)
        growth = statistics.median(r["peak_growth_mb"] for r in rows)
        print(f"{s:11} {rows[0]['chunks']:6} {seconds[s]:8.1f} {pages / seconds[s]:8.2f} {peak:8.0f} {growth:6.0f}  "
              + ", ".join(f"{time_ratios[s][o]:.2f}x" for o in against))
    saved = save("pdf-ingest", {"pdfs": len(pdfs), "pages": pages, "reps": args.reps,
                                "median_seconds": seconds, "time_ratios": time_ratios, "runs": runs})
    print(f"saved {saved}")


if __name__ == "__main__":
    main()
