"""The campaign's corruptions: each index file damaged in each way, then `rag search
--no-update` and `rag index --rebuild` in child processes (fake models).

A search must either fail with a one-line `rag: error:` or return exactly the hits of
the undamaged index (damage that changes nothing, e.g. in a timestamp); any other hits
are a silent wrong result. The rebuild must succeed and give a clean build's state.
"""
from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

from rag.manifest import FORMAT_VERSION, MANIFEST
from rag.store import VectorStore
from reliability_state import QUERIES, clean_state, copy_index, make_corpus, mutate_corpus, state_of, update

WORKER = Path(__file__).with_name("reliability_worker.py")
DATA = ("vectors", "chunks", "lexical")
DATA_DAMAGE = ("truncate", "empty", "flip", "delete", "flip, checksum updated", "garbage, checksum updated",
               "another index's file, checksum updated")
MANIFEST_DAMAGE = ("truncate", "empty", "flip", "delete", "stale", "foreign", "newer format",
                   "chunk ids swapped between files", "a folder instead")
CASES = [(MANIFEST, d) for d in MANIFEST_DAMAGE] + [(k, d) for d in DATA_DAMAGE for k in DATA]


def rag(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(WORKER), "cli", *args], capture_output=True, text=True,
                          timeout=120)


def search(index: Path, docs: Path, query: str) -> subprocess.CompletedProcess:
    return rag("search", query, "--index", str(index), "--docs", str(docs), "--no-update", "--json")


def _flip(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def corrupt(index: Path, target: str, damage: str, rng: random.Random, stale: bytes, foreign: Path) -> None:
    manifest = json.loads((index / MANIFEST).read_text())
    path = index / (MANIFEST if target == MANIFEST else manifest[f"{target}_file"])
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[:rng.randrange(1, len(data))])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "flip":
        path.write_bytes(_flip(data, rng))
    elif damage == "delete":
        path.unlink()
    elif damage == "stale":  # the previous generation's manifest: its data files are gone
        path.write_bytes(stale)
    elif damage == "foreign":  # another index's manifest
        path.write_bytes((foreign / MANIFEST).read_bytes())
    elif damage == "newer format":
        manifest["format_version"] = FORMAT_VERSION + 1
        path.write_text(json.dumps(manifest))
    elif damage == "chunk ids swapped between files":
        first, second = sorted(manifest["files"])[:2]
        files = manifest["files"]
        files[first]["chunk_ids"], files[second]["chunk_ids"] = files[second]["chunk_ids"], files[first]["chunk_ids"]
        path.write_text(json.dumps(manifest))
    elif damage == "a folder instead":
        path.unlink()
        path.mkdir()
    else:  # damage the data file, then make the manifest's checksum match it
        if damage.startswith("flip"):
            data = _flip(data, rng)
        elif damage.startswith("garbage"):
            data = rng.randbytes(len(data))
        else:
            other = json.loads((foreign / MANIFEST).read_text())
            data = (foreign / other[f"{target}_file"]).read_bytes()
        path.write_bytes(data)
        manifest[f"{target}_sha256"] = hashlib.sha256(data).hexdigest()
        (index / MANIFEST).write_text(json.dumps(manifest))


def outcome(result: subprocess.CompletedProcess, expected: str) -> str:
    if "Traceback" in result.stderr or result.returncode not in (0, 2):
        return "crash"
    if result.returncode == 2:
        return "clear error" if result.stderr.startswith("rag: error:") else "crash"
    return "same hits as undamaged" if json.loads(result.stdout)["hits"] == expected else "silent wrong result"


def run_corruptions(work: Path, count: int, seed: int) -> tuple[Counter, list[str]]:
    rng = random.Random(seed)
    docs, clean, foreign = work / "docs", work / "clean", work / "foreign"
    make_corpus(docs, rng, 12)
    update(docs, clean)
    stale = (clean / MANIFEST).read_bytes()
    mutate_corpus(docs, rng)
    update(docs, clean)
    make_corpus(work / "other", rng, 5)
    update(work / "other", foreign)
    expected_state = clean_state(docs)
    expected = {q: json.loads(search(clean, docs, q).stdout)["hits"] for q in QUERIES}
    counts, failures = Counter(), []
    for n in range(count):
        target, damage = CASES[n % len(CASES)]
        case = work / "case"
        copy_index(clean, case)
        corrupt(case, target, damage, rng, stale, foreign)
        query = QUERIES[n % len(QUERIES)]
        found = outcome(search(case, docs, query), expected[query])
        counts["cases"] += 1
        counts[found] += 1
        rebuilt = rag("index", str(docs), "--index", str(case), "--rebuild", "--json")
        try:
            repaired = rebuilt.returncode == 0 and state_of(VectorStore.load(case)) == expected_state
        except Exception:  # noqa: BLE001 -- a rebuild that leaves an unloadable index failed
            repaired = False
        counts["rebuilt" if repaired else "rebuild failed"] += 1
        if found in ("crash", "silent wrong result") or not repaired:
            failures.append(f"{target} {damage}: {found}, rebuild {'ok' if repaired else 'failed'}")
    return counts, failures
