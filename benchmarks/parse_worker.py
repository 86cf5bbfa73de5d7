"""Per-file cost of parsing in a child process: one reused worker vs a new process per file,
against parsing in this process (no protection), on the same small PDFs, side by side.

    .venv/bin/python benchmarks/parse_worker.py [N_FILES]

Writes N one-page PDFs (fpdf2, from the test extra) to a temporary folder and prints
milliseconds per file for each way, best of 3 rounds.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main(count: int) -> None:
    from document_files import write_pdf
    from rag.formats import extract_file
    from rag.parse_process import ParserProcess

    folder = Path(tempfile.mkdtemp())
    paths = [str(write_pdf(folder / f"{n}.pdf", pages=[f"Page of file {n}. " * 40])) for n in range(count)]

    def in_process():
        for path in paths:
            extract_file(path, "pdf")

    def one_worker():
        with ParserProcess(60, 1536) as parser:
            for path in paths:
                assert not isinstance(parser.parse(path, "pdf"), str)

    def process_per_file():
        for path in paths:
            with ParserProcess(60, 1536) as parser:
                assert not isinstance(parser.parse(path, "pdf"), str)

    print(f"{count} one-page PDFs, ms per file (best of 3):")
    for name, run in (("in this process (no limits)", in_process), ("one worker, reused", one_worker),
                      ("a new process per file", process_per_file)):
        best = min(_timed(run) for _ in range(3))
        print(f"  {name:30} {best / count * 1000:8.1f}")


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Per-file cost of the parse worker.")
    parser.add_argument("files", nargs="?", type=int, default=40, help="how many PDFs (default 40)")
    main(parser.parse_args().files)
