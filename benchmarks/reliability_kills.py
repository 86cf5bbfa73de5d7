"""The campaign's kills: index updates in child processes SIGKILLed at random moments, and
at each named save checkpoint (rag.store_files.SAVE_CHECKPOINTS).

Each round changes the corpus, starts an update (`rag index`, or `Assistant.reindex`,
alternately) and kills it. Then the saved index must load and hold exactly the state
before the update or the state a clean build of the changed folder gives, and the next
update (in this process) must give the clean build's state and leave no orphan files.
"""
from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from rag.store import VectorStore
from rag.store_files import SAVE_CHECKPOINTS
from reliability_state import clean_state, leftovers, make_corpus, mutate_corpus, state_of, update

WORKER = Path(__file__).with_name("reliability_worker.py")
MODES = ("cli", "assistant")


def start_child(mode: str, docs: Path, index: Path, wait: bool = False, kill_at: str | None = None):
    argv = [sys.executable, str(WORKER)] + (["--wait"] if wait else []) + (
        ["--kill-at", kill_at] if kill_at else [])
    argv += ["cli", "index", str(docs), "--index", str(index), "--json"] if mode == "cli" else \
        ["assistant", str(docs), str(index)]
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def last_checkpoint(stderr: str) -> str | None:
    passed = [line.split()[1] for line in stderr.splitlines() if line.startswith("checkpoint ")]
    return passed[-1] if passed else None


class KillTally:
    """What the rounds found; `bad` counts what must stay 0."""

    def __init__(self):
        self.counts = Counter()

    def check(self, docs: Path, index: Path, old, new, stderr: str, finished: bool = False) -> None:
        self.counts["rounds"] += 1
        where = last_checkpoint(stderr)
        if not finished:
            inside = where not in (None, "lock-taken", "orphans-removed")
            after = where == SAVE_CHECKPOINTS[-1]
            self.counts["killed after the save" if after else "killed inside the save" if inside
                        else "killed before the save"] += 1
        try:
            found = state_of(VectorStore.load(index))
        except Exception:  # noqa: BLE001 -- any failure to load counts
            self.counts["unloadable"] += 1
        else:
            self.counts["old state" if found == old else "new state" if found == new else "mixed"] += 1
        recovered = state_of(update(docs, index))
        if recovered != new:
            self.counts["recovery differs from a clean build"] += 1
        if leftovers(index):
            self.counts["orphans after the next run"] += 1

    @property
    def bad(self) -> int:
        c = self.counts
        return c["unloadable"] + c["mixed"] + c["recovery differs from a clean build"] + c["orphans after the next run"]


def run_kills(work: Path, kills: int, seed: int, files: int = 30) -> KillTally:
    """`kills` random SIGKILLs during updates."""
    rng = random.Random(seed)
    docs, index = work / "docs", work / "index"
    make_corpus(docs, rng, files)
    old = state_of(update(docs, index))
    durations = []
    for n in range(2):  # how long an update takes here, after start-up: the kill window
        mutate_corpus(docs, rng)
        child = start_child(MODES[n % 2], docs, index, wait=True)
        child.stdout.readline()
        started = time.perf_counter()
        child.communicate("\n")
        durations.append(time.perf_counter() - started)
    old = state_of(VectorStore.load(index))
    window = max(durations)
    tally = KillTally()
    for n in range(kills):
        mutate_corpus(docs, rng)
        new = clean_state(docs)
        child = start_child(MODES[n % 2], docs, index, wait=True)
        child.stdout.readline()
        child.stdin.write("\n")
        child.stdin.flush()
        time.sleep(rng.uniform(0, window))
        finished = child.poll() is not None
        tally.counts["finished before the kill"] += finished
        child.kill()
        _, stderr = child.communicate()
        tally.check(docs, index, old, new, stderr, finished)
        old = new
    tally.counts["kill window (s)"] = round(window, 2)
    return tally


def run_checkpoint_kills(work: Path, seed: int, files: int = 20) -> KillTally:
    """A kill at every save checkpoint, through each way of updating."""
    rng = random.Random(seed)
    docs, index = work / "docs", work / "index"
    make_corpus(docs, rng, files)
    old = state_of(update(docs, index))
    tally = KillTally()
    for name in SAVE_CHECKPOINTS:
        for mode in MODES:
            mutate_corpus(docs, rng)
            new = clean_state(docs)
            child = start_child(mode, docs, index, kill_at=name)
            _, stderr = child.communicate()
            if child.returncode != -9 or last_checkpoint(stderr) != name:
                tally.counts["checkpoint not reached"] += 1
            tally.check(docs, index, old, new, stderr)
            old = new
    return tally
