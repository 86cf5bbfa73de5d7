"""The campaign's I/O errors, SQLite-`ioerr` style: one index update is run once to count
its writes, then again once for each k, with the k-th write failing (EIO, then ENOSPC; a
FAISS RuntimeError where FAISS writes).

Writes are what the store does to disk: opening a file for writing, each `write` on it,
`os.fsync`, `os.replace`, `Path.unlink`, and `faiss.write_index`. For each k the update
must either fail with an IndexStoreError naming the cause and the fix, leaving the saved
index as it was, or absorb the fault (a durability fsync of the folder, removing an old
file) and save the new state; and the next update must save the new state with no orphans.
"""
from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import random
import shutil
from collections import Counter
from pathlib import Path

import rag.store_files
from rag.errors import IndexStoreError
from rag.store import VectorStore
from reliability_state import clean_state, copy_index, leftovers, make_corpus, mutate_corpus, state_of, update


class WriteFaults:
    """Counts the store's writes; the `fail_at`-th raises `error` (None: count only)."""

    def __init__(self, fail_at: int | None = None, code: int = errno.EIO):
        self.fail_at, self.code, self.ops = fail_at, code, []

    def write_op(self, name: str, faiss_error: bool = False) -> None:
        self.ops.append(name)
        if len(self.ops) == self.fail_at:
            if faiss_error:
                raise RuntimeError("Error in faiss::FileIOWriter: write failed (injected)")
            raise OSError(self.code, os.strerror(self.code), f"injected at {name}")

    @contextlib.contextmanager
    def installed(self, faiss_error: bool = False):
        import faiss

        real_open, real_os, real_write_index, real_unlink = open, rag.store_files.os, faiss.write_index, \
            pathlib.Path.unlink
        faults = self

        class File:
            def __init__(self, handle, name):
                self._handle, self._name = handle, name

            def write(self, data):
                faults.write_op(f"write {self._name}")
                return self._handle.write(data)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return self._handle.__exit__(*exc)

            def __getattr__(self, name):
                return getattr(self._handle, name)

        def opening(path, mode="r", *args, **kwargs):
            if any(m in mode for m in "wa+"):
                faults.write_op(f"open {Path(path).name}")
                return File(real_open(path, mode, *args, **kwargs), Path(path).name)
            return real_open(path, mode, *args, **kwargs)

        class Os:
            def __getattr__(self, name):
                return getattr(real_os, name)

            def fsync(self, fd):
                faults.write_op("fsync")
                return real_os.fsync(fd)

            def replace(self, src, dst):
                faults.write_op(f"replace {Path(dst).name}")
                return real_os.replace(src, dst)

        def write_index(index, path):
            faults.write_op(f"faiss.write_index {Path(path).name}", faiss_error)
            return real_write_index(index, path)

        def unlink(path, *args, **kwargs):
            faults.write_op(f"unlink {path.name}")
            return real_unlink(path, *args, **kwargs)

        rag.store_files.open, rag.store_files.os, faiss.write_index = opening, Os(), write_index
        pathlib.Path.unlink = unlink
        try:
            yield self
        finally:
            del rag.store_files.open
            rag.store_files.os, faiss.write_index, pathlib.Path.unlink = real_os, real_write_index, real_unlink


def names_cause_and_fix(message: str, code: int, faiss_error: bool) -> bool:
    cause = "write failed" if faiss_error else os.strerror(code)
    return cause in message and ("run the command again" in message or "--index" in message)


def run_ioerrors(work: Path, seed: int, codes=(errno.EIO, errno.ENOSPC), files: int = 10) -> tuple[Counter, list[str]]:
    rng = random.Random(seed)
    docs, saved, index = work / "docs", work / "saved", work / "index"
    make_corpus(docs, rng, files)
    update(docs, saved)
    old = state_of(VectorStore.load(saved))
    mutate_corpus(docs, rng)
    new = clean_state(docs)
    copy_index(saved, index)
    with WriteFaults().installed() as counting:
        update(docs, index)
    counts, failures = Counter(writes_per_update=len(counting.ops)), []
    plan = [(k, code, False) for code in codes for k in range(1, len(counting.ops) + 1)]
    plan += [(k, errno.EIO, True) for k, op in enumerate(counting.ops, 1) if op.startswith("faiss")]
    for k, code, faiss_error in plan:
        copy_index(saved, index)
        label = f"write {k} ({counting.ops[k - 1]}), {'faiss' if faiss_error else errno.errorcode[code]}"
        counts["injections"] += 1
        try:
            with WriteFaults(k, code).installed(faiss_error):
                update(docs, index)
        except IndexStoreError as exc:
            counts["clear IndexStoreError"] += 1
            if not names_cause_and_fix(str(exc), code, faiss_error):
                failures.append(f"{label}: message lacks the cause or the fix: {exc}")
            if state_of(VectorStore.load(index)) != old:
                failures.append(f"{label}: the saved index changed")
        except Exception as exc:  # noqa: BLE001 -- anything else escaping is what we look for
            counts["other exception"] += 1
            failures.append(f"{label}: {type(exc).__name__}: {exc}")
        else:
            counts["absorbed, new state saved"] += 1
            if state_of(VectorStore.load(index)) != new:
                failures.append(f"{label}: no error, but the saved index is not the new state")
        if state_of(update(docs, index)) != new or leftovers(index):
            failures.append(f"{label}: the next update did not recover cleanly ({leftovers(index)})")
    counts["problems"] = len(failures)
    shutil.rmtree(index, ignore_errors=True)
    return counts, failures
