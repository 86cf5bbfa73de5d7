"""What the reliability campaign (reliability.py) compares: a small corpus that changes
between runs, the state an index holds, and the files an index folder should not hold.

The store-only parts build their indexes with the deterministic HashingEmbedder of
tests/fakes.py, so a clean build of the same folder always gives the same state.
"""
from __future__ import annotations

import hashlib
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from fakes import HashingEmbedder, ScriptedGenerator  # noqa: E402
from rag import Assistant  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.indexing import sync_index  # noqa: E402
from rag.manifest import MANIFEST  # noqa: E402
from rag.store import VectorStore  # noqa: E402
from rag.store_files import LOCK  # noqa: E402

WORDS = ("river harbour signal engine copper lantern orchard glacier meadow falcon quarry "
         "ledger beacon canyon thimble saddle violin compass ember marble tundra spindle "
         "pepper walnut anchor cobalt island mosaic prairie summit").split()
QUERIES = ("copper lantern near the harbour", "glacier meadow falcon", "violin compass ember",
           "walnut anchor island", "summit prairie mosaic")


def open_with_fakes(*args, **kwargs) -> Assistant:
    """Assistant.open with the fake models: what `rag` runs in the campaign's children."""
    kwargs.setdefault("embedder", HashingEmbedder())
    kwargs.setdefault("generator", ScriptedGenerator({}))
    return Assistant.open(*args, **kwargs)


def document_text(rng: random.Random, sentences: int) -> str:
    lines = []
    for _ in range(sentences):
        words = rng.choices(WORDS, k=rng.randint(6, 14))
        lines.append(" ".join(words).capitalize() + f" ({rng.randint(0, 10**6)}).")
    return "\n".join(lines) + "\n"


def make_corpus(folder: Path, rng: random.Random, files: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(files):
        (folder / f"doc{n:03}.txt").write_text(document_text(rng, rng.randint(20, 60)))


def mutate_corpus(folder: Path, rng: random.Random) -> str:
    """Add, change or delete a file or two (never the last one); what was done."""
    done = []
    for _ in range(rng.randint(1, 2)):
        files = sorted(folder.glob("*.txt"))
        action = rng.choice(["add", "change", "change", "delete"] if len(files) > 3 else ["add", "change"])
        if action == "add":
            path = folder / f"doc{rng.randint(100, 999)}.txt"
            path.write_text(document_text(rng, rng.randint(20, 60)))
        elif action == "change":
            path = rng.choice(files)
            path.write_text(path.read_text() + document_text(rng, rng.randint(1, 10)))
        else:
            path = rng.choice(files)
            path.unlink()
        done.append(f"{action} {path.name}")
    return ", ".join(done)


def state_of(store: VectorStore | None):
    """What an index holds, independent of chunk ids and generations: each file's hash,
    and its chunks' spans, texts and vectors (rounded)."""
    if store is None:
        return None
    by_source: dict[str, list] = {}
    for chunk in store.chunks.values():
        by_source.setdefault(chunk.source, []).append(chunk)
    state = []
    for source in sorted(store.manifest.files):
        vectors = store.vectors_by_text(source)
        chunks = sorted(by_source.get(source, []), key=lambda c: c.start_char)
        rows = tuple((c.start_char, c.end_char, c.text,
                      hashlib.sha256(vectors[c.text].round(5).tobytes()).hexdigest()) for c in chunks)
        state.append((source, store.manifest.files[source].sha256, rows))
    return tuple(state)


def update(docs: Path, index: Path, rebuild: bool = False) -> VectorStore:
    """One index update in this process, as `rag index` does it (fake embedder)."""
    store, _ = sync_index(docs, index, HashingEmbedder(), Settings(), rebuild=rebuild)
    return store


def clean_state(docs: Path):
    """The state a clean build of `docs` gives."""
    with tempfile.TemporaryDirectory() as scratch:
        return state_of(update(docs, Path(scratch) / "index"))


def leftovers(index: Path) -> list[str]:
    """Files in an index folder that are not the manifest, the lock or a live data file."""
    store_files = {MANIFEST, LOCK}
    try:
        manifest = VectorStore.load(index).manifest
        store_files |= {name for name, _ in manifest.data_files()}
    except Exception:  # noqa: BLE001 -- an unloadable folder: every data file counts
        pass
    return sorted(p.name for p in index.iterdir() if p.name not in store_files)


def copy_index(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
