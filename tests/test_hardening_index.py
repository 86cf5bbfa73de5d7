"""Indexing a hostile or damaged folder: odd file names, symlinks out of the folder,
orphaned files, write failures and damaged index files (the hardening issue, items 1-6)."""
import errno
import json
import os

import pytest

from fakes import HashingEmbedder
from rag.config import Settings
from rag.errors import IndexCorruptError, IndexStoreError, IndexVersionError
from rag.indexing import sync_index
from rag.store import FORMAT_VERSION, VectorStore

SETTINGS = Settings()
SEEDS = ["000_dc7361d3392e1266.txt", "003_064eea4f1c13281f.txt"]


def _index_files(idx) -> list[str]:
    return sorted(p.name for p in idx.iterdir() if not p.name.startswith("."))


def _one_generation(idx) -> list[str]:
    gen = json.loads((idx / "manifest.json").read_text())["generation"]
    return [f"chunks-{gen}.json", f"lexical-{gen}.npz", "manifest.json", f"vectors-{gen}.faiss"]


# ---- 1. file names that are not valid UTF-8 -------------------------------------------

@pytest.mark.parametrize("bad_path", [b"bad\xffname.txt", b"sub\xe9dir/notes.txt"])
def test_a_file_name_that_is_not_utf8_is_skipped_and_the_rest_is_indexed(seeds_copy, tmp_path, bad_path):
    target = os.fsencode(seeds_copy) + b"/" + bad_path
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as handle:
        handle.write(b"x\n")
    idx = tmp_path / "idx"
    for _attempt in range(2):  # a second run must neither fail nor leave files behind
        store, report = sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
        assert store.sources == SEEDS
        [skipped] = report.skipped
        shown = bad_path.decode("utf-8", "backslashreplace")  # e.g. bad\xffname.txt
        assert skipped.source == shown
        assert "not valid UTF-8" in skipped.reason and "rename" in skipped.reason
        # the report can be printed and written as UTF-8 JSON
        "\n".join(report.lines()).encode("utf-8")
        json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")
        assert _index_files(idx) == _one_generation(idx)
    assert VectorStore.load(idx).sources == SEEDS


def test_assistant_opens_a_folder_with_a_non_utf8_file_name(seeds_copy, tmp_path, scripted_assistant):
    with open(os.fsencode(seeds_copy) + b"/bad\xffname.txt", "wb") as handle:
        handle.write(b"x\n")
    assistant = scripted_assistant({})
    assert assistant.store.sources == SEEDS
    assert [s.source for s in assistant.report.skipped] == ["bad\\xffname.txt"]


# ---- 2. symlinks that point out of the folder ---------------------------------------------

def test_symlinks_out_of_the_folder_are_skipped_and_named_in_the_report(seeds_copy, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("The vault code is 4471.\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "more.txt").write_text("Another secret: 9902.\n")
    (seeds_copy / "passwd.txt").symlink_to(secret)
    (seeds_copy / "relative.txt").symlink_to(os.path.join("..", "secret.txt"))
    (seeds_copy / "linked-folder").symlink_to(outside, target_is_directory=True)
    (seeds_copy / "alias.txt").symlink_to(seeds_copy / SEEDS[0])  # inside: may be followed
    (seeds_copy / "loop.txt").symlink_to(seeds_copy / "loop.txt")  # a loop must not hang
    (seeds_copy / "again").symlink_to(seeds_copy, target_is_directory=True)

    store, report = sync_index(seeds_copy, tmp_path / "idx", HashingEmbedder(), SETTINGS)
    texts = " ".join(c.text for c in store.chunks.values())
    assert "4471" not in texts and "9902" not in texts
    assert "passwd.txt" not in store.sources and "relative.txt" not in store.sources
    assert not any(s.startswith("linked-folder/") for s in store.sources)
    assert "alias.txt" in store.sources and set(SEEDS) <= set(store.sources)
    skipped = {s.source: s.reason for s in report.skipped}
    for name in ("passwd.txt", "relative.txt", "linked-folder"):
        assert "outside the documents folder" in skipped[name], skipped
    assert "passwd.txt" in "\n".join(report.lines())
    assert "loop.txt" in skipped  # reported, not hung on


# ---- 3. orphaned generation files ------------------------------------------------------

def test_an_index_run_removes_orphans_even_when_nothing_changed(seeds_copy, tmp_path):
    idx = tmp_path / "idx"
    sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
    live = _one_generation(idx)
    # what killed runs leave behind: whole generations, half-written files, temp files
    (idx / "vectors-7.faiss").write_bytes(b"\0" * 100_000)
    (idx / "chunks-7.json").write_text("[]")
    (idx / "lexical-8.npz").write_bytes(b"PK")
    (idx / "vectors-9.faiss.tmp").write_bytes(b"half")
    (idx / "manifest.json.tmp").write_text("{")
    store, report = sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
    assert not report.changed
    assert _index_files(idx) == live
    assert VectorStore.load(idx).sources == SEEDS


def test_orphans_left_without_any_manifest_are_removed(seeds_copy, tmp_path):
    idx = tmp_path / "idx"
    idx.mkdir()
    (idx / "vectors-1.faiss").write_bytes(b"\0" * 1000)  # a first build killed mid-save
    (idx / "chunks-1.json.tmp").write_text("[")
    sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
    assert _index_files(idx) == _one_generation(idx)


def test_orphans_are_kept_while_the_manifest_is_unreadable_then_a_rebuild_clears_them(seeds_copy, tmp_path):
    idx = tmp_path / "idx"
    sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
    before = set(_index_files(idx))
    (idx / "manifest.json").write_text("{damaged")
    with pytest.raises(IndexCorruptError):
        sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
    assert set(_index_files(idx)) == before  # nothing deleted that might be recovered
    sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS, rebuild=True)
    assert _index_files(idx) == _one_generation(idx)


# ---- 5. write failures: one IndexStoreError, before the embedding work -------------------

def _read_only(monkeypatch, folder):
    """Make every write below `folder` fail the way a read-only file system does."""
    import builtins
    import io

    import faiss

    folder = os.fsdecode(os.path.abspath(folder))

    def inside(path) -> bool:
        try:
            return os.path.abspath(os.fsdecode(path)).startswith(folder)
        except TypeError:  # a file descriptor
            return False

    def refuse(path):
        raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))

    real_open, real_os_open = builtins.open, os.open

    def fake_open(file, mode="r", *args, **kwargs):
        if inside(file) and any(c in mode for c in "wax+"):
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    def fake_os_open(path, flags, *args, **kwargs):
        if inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def guard(real):
        def call(*paths, **kwargs):
            if any(inside(p) for p in paths[:2] if isinstance(p, (str, bytes, os.PathLike))):
                refuse(paths[0])
            return real(*paths, **kwargs)
        return call

    def fake_write_index(index, path):
        raise RuntimeError(f"Error in faiss::FileIOWriter: could not open {path} for writing: "
                           f"Read-only file system")

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    for name in ("replace", "rename", "unlink", "mkdir", "rmdir"):
        monkeypatch.setattr(os, name, guard(getattr(os, name)))
    monkeypatch.setattr(faiss, "write_index", fake_write_index)


@pytest.mark.parametrize("existing", [False, True])
def test_a_read_only_index_folder_fails_before_any_embedding(seeds_copy, tmp_path, monkeypatch, existing):
    idx = tmp_path / "idx"
    if existing:
        sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
        (seeds_copy / "new.txt").write_text("The river Oxus flows into the Aral Sea.\n")
    else:
        idx.mkdir()
    embedder = HashingEmbedder()
    _read_only(monkeypatch, idx)
    with pytest.raises(IndexStoreError, match="read-only.*writable") as caught:
        sync_index(seeds_copy, idx, embedder, SETTINGS)
    assert str(idx) in str(caught.value)
    assert embedder.calls == []


def test_a_faiss_write_failure_becomes_an_index_store_error(tmp_path, monkeypatch):
    import faiss

    store = VectorStore.empty("fake/model", 8, {"max_words": 150, "overlap_words": 30})

    def fail(index, path):
        raise RuntimeError(f"Error: 'f' failed: could not open {path} for writing: No space left on device")

    monkeypatch.setattr(faiss, "write_index", fail)
    with pytest.raises(IndexStoreError, match="free") as caught:
        store.save(tmp_path / "idx")
    assert "No space left" in str(caught.value)
    assert _index_files(tmp_path / "idx") == []


def test_a_full_disk_during_indexing_is_a_clear_error_and_the_retry_works(seeds_copy, tmp_path, monkeypatch):
    idx = tmp_path / "idx"
    real_fsync = os.fsync

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(IndexStoreError, match="No space left.*free") as caught:
        sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
    assert str(idx) in str(caught.value)
    assert not idx.exists() or _index_files(idx) == []
    monkeypatch.setattr(os, "fsync", real_fsync)
    store, _report = sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
    assert store.sources == SEEDS and _index_files(idx) == _one_generation(idx)


def test_cli_reports_a_faiss_write_failure_in_one_line(seeds_copy, tmp_path, monkeypatch, capsys):
    import faiss

    import rag.pipeline
    from rag.cli import main

    monkeypatch.setattr(rag.pipeline, "load_embedder", lambda *a, **k: HashingEmbedder())

    def fail(index, path):
        raise RuntimeError("Error: 'f' failed: could not open file for writing: Read-only file system")

    monkeypatch.setattr(faiss, "write_index", fail)
    assert main(["index", str(seeds_copy), "--index", str(tmp_path / "idx")]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("rag: error: ") and "Read-only" in last and "Traceback" not in err


# ---- 6. damaged index files; --rebuild never reads them ----------------------------------

def _rewrite_manifest(idx, **changes):
    data = json.loads((idx / "manifest.json").read_text())
    data.update(changes)
    (idx / "manifest.json").write_text(json.dumps(data))


def _damage_with_matching_checksum(idx, key: str, content: bytes):
    import hashlib

    data = json.loads((idx / "manifest.json").read_text())
    (idx / data[key + "_file"]).write_bytes(content)
    _rewrite_manifest(idx, **{key + "_sha256": hashlib.sha256(content).hexdigest()})


def _data_file(idx, key):
    return idx / json.loads((idx / "manifest.json").read_text())[key + "_file"]


def _files_entry(idx, **fields):
    data = json.loads((idx / "manifest.json").read_text())
    name = sorted(data["files"])[0]
    data["files"][name].update(fields)
    (idx / "manifest.json").write_text(json.dumps(data))


DAMAGE = {
    "lexical zip truncated": lambda idx: _damage_with_matching_checksum(
        idx, "lexical", _data_file(idx, "lexical").read_bytes()[:200]),
    "lexical not a zip": lambda idx: _damage_with_matching_checksum(idx, "lexical", b"garbage"),
    "lexical zip missing arrays": lambda idx: _damage_with_matching_checksum(
        idx, "lexical", _npz(vocab=[])),
    "vectors garbage": lambda idx: _damage_with_matching_checksum(idx, "vectors", b"\0" * 64),
    "chunks not a list of rows": lambda idx: _damage_with_matching_checksum(idx, "chunks", b'{"a": 1}'),
    "chunks not utf-8": lambda idx: _damage_with_matching_checksum(idx, "chunks", b"\xff\xfe[]"),
    "manifest chunk_ids not a list": lambda idx: _files_entry(idx, chunk_ids=5),
    "manifest file entry not an object": lambda idx: _rewrite_manifest(idx, files={"a.txt": 3}),
    "manifest dimension not a number": lambda idx: _rewrite_manifest(idx, dimension="wide"),
    "manifest data file name is a path": lambda idx: _rewrite_manifest(idx, chunks_file="../../etc/passwd"),
    "manifest is a folder": lambda idx: ((idx / "manifest.json").unlink(), (idx / "manifest.json").mkdir()),
    "data file is a folder": lambda idx: _replace_with_folder(idx, "chunks"),
}


def _npz(**arrays) -> bytes:
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(v) for k, v in arrays.items()})
    return buffer.getvalue()


def _replace_with_folder(idx, key):
    name = json.loads((idx / "manifest.json").read_text())[key + "_file"]
    (idx / name).unlink()
    (idx / name).mkdir()


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_any_damaged_index_is_reported_as_corrupt_and_rebuild_recovers(seeds_copy, tmp_path, damage):
    idx = tmp_path / "idx"
    sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
    DAMAGE[damage](idx)
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        VectorStore.load(idx)
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
    store, report = sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS, rebuild=True)
    assert store.sources == SEEDS and report.rebuilt
    assert VectorStore.load(idx).sources == SEEDS
    assert _index_files(idx) == _one_generation(idx)


def test_rebuild_replaces_an_index_of_a_newer_format_as_its_message_says(seeds_copy, tmp_path):
    idx = tmp_path / "idx"
    sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
    _rewrite_manifest(idx, format_version=FORMAT_VERSION + 1)
    with pytest.raises(IndexVersionError, match="--rebuild"):
        sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)
    store, report = sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS, rebuild=True)
    assert store.sources == SEEDS and report.rebuilt
    assert VectorStore.load(idx).manifest.format_version == FORMAT_VERSION


def test_rebuild_never_reads_the_old_index(seeds_copy, tmp_path, monkeypatch):
    idx = tmp_path / "idx"
    sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS)

    def refuse(*_args, **_kwargs):
        raise AssertionError("a rebuild read the old index")

    monkeypatch.setattr(VectorStore, "load", refuse)
    store, report = sync_index(seeds_copy, idx, HashingEmbedder(), SETTINGS, rebuild=True)
    assert store.sources == SEEDS and report.rebuilt
