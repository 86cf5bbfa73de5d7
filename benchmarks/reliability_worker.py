"""A child process of the reliability campaign: one index update, or one `rag` command,
with the fake models of tests/fakes.py.

    python benchmarks/reliability_worker.py [--wait] [--kill-at CHECKPOINT] cli ARGS...
    python benchmarks/reliability_worker.py [--wait] [--kill-at CHECKPOINT] assistant DOCS INDEX

`cli` runs `rag ARGS...`; `assistant` opens the saved index as it is and updates it with
`Assistant.reindex`. Each save checkpoint passed is written to stderr ("checkpoint NAME").
`--wait` prints "ready" once everything is imported and waits for a line on stdin, so
the parent's random kill lands in the work, not in Python's start-up. `--kill-at` makes
the process SIGKILL itself at that checkpoint (rag.store_files.SAVE_CHECKPOINTS).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

# This checkout's rag and tests/fakes.py, whatever rag the virtualenv has installed.
sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]
import rag.store_files  # noqa: E402
from rag.cli import main as rag_main  # noqa: E402
from reliability_state import open_with_fakes  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wait", action="store_true")
    parser.add_argument("--kill-at")
    parser.add_argument("mode", choices=["cli", "assistant"])
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()

    def checkpoint(name: str) -> None:
        os.write(2, f"checkpoint {name}\n".encode())
        if name == args.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    rag.store_files.save_checkpoint = checkpoint
    if args.wait:
        print("ready", flush=True)
        sys.stdin.readline()
    if args.mode == "cli":
        return rag_main(args.rest, open_assistant=open_with_fakes)
    docs, index = args.rest
    open_with_fakes(docs, index, update=False).reindex()
    return 0


if __name__ == "__main__":
    sys.exit(main())
