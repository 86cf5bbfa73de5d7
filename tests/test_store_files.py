"""The index's files on disk: orphan cleanup, failed saves, write errors, the lock."""
import errno
import os

import numpy as np
import pytest

from rag.errors import IndexStoreError
from rag.store import VectorStore, write_lock
from rag.types import Chunk

CHUNKING = {"max_words": 150, "overlap_words": 30}


def _store(n_files=3, dim=64, words=40) -> VectorStore:
    store = VectorStore.empty("fake/model", dim, CHUNKING, "/docs")
    rng = np.random.default_rng(0)
    for f in range(n_files):
        texts = [" ".join(f"word{f}_{i}_{w}" for w in range(words)) for i in range(20)]
        chunks = [Chunk(-1, f"f{f}.txt", t, 0, len(t), 1, 1) for t in texts]
        vectors = rng.normal(size=(len(texts), dim)).astype(np.float32)
        store.add_file(f"f{f}.txt", f"sha{f}", 100, None, chunks, vectors)
    return store


def _names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _live(folder) -> list[str]:
    gen = VectorStore.load(folder).manifest.generation
    return [f"chunks-{gen}.json", f"lexical-{gen}.npz", "manifest.json", f"vectors-{gen}.faiss"]


def test_opening_for_writing_removes_orphans_and_keeps_the_live_generation(tmp_path):
    _store().save(tmp_path)
    live = _live(tmp_path)
    for name in ("vectors-5.faiss", "chunks-5.json", "lexical-6.npz", "vectors-8.faiss.tmp",
                 "manifest.json.tmp", "chunks-1.json.tmp"):
        (tmp_path / name).write_bytes(b"left by a killed run")
    (tmp_path / "notes.txt").write_text("not ours: left alone")
    with write_lock(tmp_path):
        assert _names(tmp_path) == sorted([*live, "notes.txt"])
    assert VectorStore.load(tmp_path).sources == ["f0.txt", "f1.txt", "f2.txt"]


def _fail_when_replacing(monkeypatch, suffix: str):
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith(suffix):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("failing", [".faiss", ".json", ".npz", "manifest.json"])
def test_a_failed_save_removes_every_file_it_wrote(tmp_path, monkeypatch, failing):
    _store(1).save(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if not p.name.startswith(".")}
    _fail_when_replacing(monkeypatch, failing)
    with pytest.raises(IndexStoreError, match="No space left on device.*free"):
        _store(2).save(tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if not p.name.startswith(".")}
    assert after == before
    assert VectorStore.load(tmp_path).sources == ["f0.txt"]


def _folder_bytes(folder) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def test_retries_after_a_full_disk_succeed_once_space_is_freed(tmp_path, monkeypatch):
    """A disk of `quota` bytes: writes that would pass it fail at fsync, as on a full disk."""
    big = _store(6)
    big.save(tmp_path / "probe")
    size = _folder_bytes(tmp_path / "probe")
    folder = tmp_path / "idx"
    _store(5).save(folder)  # the live index, a little smaller
    quota = {"bytes": _folder_bytes(folder) + size // 3}  # nearly full: no room for `big`
    real_fsync = os.fsync

    def fsync(fd):
        if _folder_bytes(folder) > quota["bytes"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    for _attempt in range(3):
        with pytest.raises(IndexStoreError, match="No space left"):
            big.save(folder)
    quota["bytes"] = _folder_bytes(folder) + size + 4096  # space freed: room for one new generation
    big.save(folder)
    assert VectorStore.load(folder).sources == [f"f{i}.txt" for i in range(6)]
    assert _names(folder) == _live(folder)


def test_an_unencodable_source_name_never_reaches_the_disk(tmp_path):
    store = _store(1)
    store.save(tmp_path)
    before = _names(tmp_path)
    chunks = [Chunk(-1, "bad\udcffname.txt", "text", 0, 4, 1, 1)]
    with pytest.raises(ValueError, match="(?i)utf-8"):
        store.add_file("bad\udcffname.txt", "sha", 4, None, chunks, np.ones((1, 64), dtype=np.float32))
        store.save(tmp_path)
    assert _names(tmp_path) == before


# ---- store_files.py on its own: bytes and a vectors writer, no FAISS ---------------------

def test_a_generation_is_written_from_bytes_and_a_failing_writer_leaves_nothing(tmp_path):
    from rag.manifest import Manifest
    from rag.store_files import read_manifest, verified_data_files, write_generation

    def write_vectors(path):
        with open(path, "wb") as handle:
            handle.write(b"vectors")

    saved = write_generation(tmp_path, Manifest("m", 4, {}), write_vectors, b"[]", b"terms")
    assert read_manifest(tmp_path) == saved and saved.generation == 1
    files = verified_data_files(tmp_path, saved)
    assert {kind: path.read_bytes() for kind, path in files.items()} == {
        "vectors": b"vectors", "chunks": b"[]", "lexical": b"terms"}

    def write_half_then_fail(path):
        with open(path, "wb") as handle:
            handle.write(b"half")
        raise RuntimeError("Error: 'ret == n' failed: write error: No space left on device")

    with pytest.raises(IndexStoreError, match="No space left on device; free some space"):
        write_generation(tmp_path, saved, write_half_then_fail, b"[]", b"terms")
    assert _names(tmp_path) == ["chunks-1.json", "lexical-1.npz", "manifest.json", "vectors-1.faiss"]


@pytest.mark.parametrize("error,cause,fix", [
    (OSError(errno.ENOSPC, "No space left on device", "idx/x"), "No space left on device (idx/x)", "free some space"),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), "Disk quota exceeded", "free some space"),
    (OSError(errno.EROFS, "Read-only file system"), "Read-only file system", "make it writable"),
    (PermissionError(errno.EACCES, "Permission denied"), "Permission denied", "make it writable"),
    (RuntimeError("could not open idx/v.tmp for writing: Read-only file system"), "Read-only", "make it writable"),
    (OSError(errno.EIO, "Input/output error"), "Input/output error", "check that folder and its disk"),
])
def test_every_write_failure_names_its_cause_and_the_fix(error, cause, fix):
    from pathlib import Path

    from rag.store_files import write_error

    message = str(write_error(Path("idx"), error))
    assert "idx" in message and cause in message and fix in message
