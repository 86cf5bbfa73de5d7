import json
import os

import numpy as np
import pytest

from rag.errors import IndexCorruptError, IndexLockedError, IndexStoreError, IndexVersionError
from rag.store import FORMAT_VERSION, Manifest, VectorStore, write_lock
from rag.types import Chunk

CHUNKING = {"max_words": 150, "overlap_words": 30}


def _store_with(files: dict[str, list[str]], dim=8) -> VectorStore:
    store = VectorStore.empty("fake/model", dim, CHUNKING, "/docs")
    rng = np.random.default_rng(0)
    for source, texts in files.items():
        chunks = [Chunk(-1, source, t, i * 10, i * 10 + len(t), i + 1, i + 1, "2024-01-01") for i, t in enumerate(texts)]
        vectors = rng.normal(size=(len(texts), dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.add_file(source, "sha-" + source, 100, "2024-01-01", chunks, vectors)
    return store


def test_manifest_round_trip(tmp_path):
    store = _store_with({"a.txt": ["one", "two"], "b/c.md": ["three"]})
    store.save(tmp_path)
    loaded = VectorStore.load(tmp_path)
    assert loaded.manifest == store.manifest
    assert loaded.manifest.format_version == FORMAT_VERSION
    assert loaded.manifest.embedding_model == "fake/model" and loaded.manifest.dimension == 8
    assert loaded.manifest.chunking == CHUNKING
    assert loaded.manifest.files["a.txt"].sha256 == "sha-a.txt"
    assert loaded.chunks == store.chunks
    raw = json.loads((tmp_path / "manifest.json").read_text())
    assert raw["files"]["b/c.md"]["chunk_ids"] == [2]


def test_search_finds_the_stored_vector_and_remove_forgets_it(tmp_path):
    store = _store_with({"a.txt": ["one", "two"], "b.txt": ["three"]})
    target = store._faiss.reconstruct(2)
    assert store.search(target, 1)[0].chunk.text == "three"
    store.remove_file("b.txt")
    assert all(h.chunk.source == "a.txt" for h in store.search(target, 5))
    assert len(store) == 2 and store._faiss.ntotal == 2


def test_replacing_a_file_does_not_duplicate(tmp_path):
    store = _store_with({"a.txt": ["one", "two"]})
    chunks = [Chunk(-1, "a.txt", "new", 0, 3, 1, 1)]
    store.add_file("a.txt", "sha2", 3, None, chunks, np.ones((1, 8), dtype=np.float32) / np.sqrt(8))
    assert [c.text for c in store.chunks.values()] == ["new"]
    assert store._faiss.ntotal == 1


def _crash_when_manifest_is_replaced(monkeypatch):
    """Make the rename that switches manifest.json fail, like a power cut at that moment;
    returns the real os.replace to put back."""
    real_replace = os.replace

    def crash_on_manifest(src, dst):
        if str(dst).endswith("manifest.json"):
            raise OSError("power cut (simulated)")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_manifest)
    return real_replace


def test_crash_during_save_leaves_previous_index_loadable(tmp_path, monkeypatch):
    old = _store_with({"a.txt": ["one"]})
    old.save(tmp_path)
    new = _store_with({"a.txt": ["one"], "b.txt": ["two", "three"]})
    new.manifest.generation = old.manifest.generation
    real_replace = _crash_when_manifest_is_replaced(monkeypatch)
    with pytest.raises(IndexStoreError, match="simulated"):  # an OSError, named (hardening item 5)
        new.save(tmp_path)
    monkeypatch.setattr(os, "replace", real_replace)
    loaded = VectorStore.load(tmp_path)
    assert loaded.sources == ["a.txt"] and len(loaded) == 1
    # the next successful save cleans up and works
    new.save(tmp_path)
    assert VectorStore.load(tmp_path).sources == ["a.txt", "b.txt"]


def test_old_generation_and_crash_leftovers_are_removed_after_save(tmp_path):
    store = _store_with({"a.txt": ["one"]})
    store.save(tmp_path)
    (tmp_path / "vectors-7.faiss.tmp").write_bytes(b"half written")
    (tmp_path / "chunks-5.json").write_text("[]")
    store.save(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert names == ["chunks-6.json", "lexical-6.npz", "manifest.json", "vectors-6.faiss"]
    assert VectorStore.load(tmp_path).sources == ["a.txt"]


def test_truncated_data_file_is_reported_as_corrupt(tmp_path):
    _store_with({"a.txt": ["one"]}).save(tmp_path)
    vectors = next(tmp_path.glob("vectors-*.faiss"))
    vectors.write_bytes(vectors.read_bytes()[:20])
    with pytest.raises(IndexCorruptError, match="checksum.*--rebuild"):
        VectorStore.load(tmp_path)


def test_missing_data_file_and_garbage_manifest_are_corrupt(tmp_path):
    _store_with({"a.txt": ["one"]}).save(tmp_path)
    next(tmp_path.glob("chunks-*.json")).unlink()
    with pytest.raises(IndexCorruptError, match="missing"):
        VectorStore.load(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="unreadable"):
        VectorStore.load(tmp_path)


def test_newer_format_version_is_refused(tmp_path):
    _store_with({"a.txt": ["one"]}).save(tmp_path)
    data = json.loads((tmp_path / "manifest.json").read_text())
    data["format_version"] = FORMAT_VERSION + 1
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(IndexVersionError, match="newer"):
        VectorStore.load(tmp_path)


def test_no_index_yet_loads_as_none(tmp_path):
    assert VectorStore.load(tmp_path / "empty") is None


def test_settings_mismatch_names_the_change():
    manifest = Manifest("m1", 384, CHUNKING)
    assert manifest.settings_mismatch("m1", 384, CHUNKING) is None
    assert "m2" in manifest.settings_mismatch("m2", 384, CHUNKING)
    assert "chunking" in manifest.settings_mismatch("m1", 384, {"max_words": 100, "overlap_words": 30})


def test_second_writer_is_refused(tmp_path):
    with write_lock(tmp_path):
        with pytest.raises(IndexLockedError, match="another rag process"):
            with write_lock(tmp_path):
                pass
    with write_lock(tmp_path):  # released again
        pass


def test_crash_during_a_rebuild_leaves_the_previous_index_loadable(tmp_path, monkeypatch, seeds_copy):
    idx = tmp_path / "idx"
    from fakes import HashingEmbedder
    from rag.config import ChunkingSettings, Settings
    from rag.indexing import sync_index

    sync_index(seeds_copy, idx, HashingEmbedder(), Settings())
    before = VectorStore.load(idx)
    real_replace = _crash_when_manifest_is_replaced(monkeypatch)
    rebuilt_settings = Settings(chunking=ChunkingSettings(40, 5))
    with pytest.raises(IndexStoreError, match="simulated"):  # an OSError, named (hardening item 5)
        sync_index(seeds_copy, idx, HashingEmbedder(), rebuilt_settings)
    monkeypatch.setattr(os, "replace", real_replace)
    after_crash = VectorStore.load(idx)
    assert after_crash.manifest == before.manifest and after_crash.chunks == before.chunks

    sync_index(seeds_copy, idx, HashingEmbedder(), rebuilt_settings)
    rebuilt = VectorStore.load(idx)
    assert rebuilt.manifest.chunking == {"max_words": 40, "overlap_words": 5}
    names = sorted(p.name for p in idx.iterdir() if not p.name.startswith("."))
    gen = rebuilt.manifest.generation
    assert names == [f"chunks-{gen}.json", f"lexical-{gen}.npz", "manifest.json", f"vectors-{gen}.faiss"], names


@pytest.mark.parametrize("content", [b"[]", b"\xff\xfe\x00garbage", b'{"format_version": 1, "files": 3}'])
def test_manifest_of_the_wrong_shape_is_corrupt_not_a_crash(tmp_path, content):
    _store_with({"a.txt": ["one"]}).save(tmp_path)
    (tmp_path / "manifest.json").write_bytes(content)
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        VectorStore.load(tmp_path)


def test_index_path_that_is_a_file_is_a_clear_error(tmp_path):
    target = tmp_path / "index"
    target.write_text("not a folder")
    with pytest.raises(IndexStoreError, match="is a file"):
        VectorStore.load(target)
    with pytest.raises(IndexStoreError, match="is a file"):
        with write_lock(target):
            pass


def test_reader_retries_when_a_writer_switches_generations(tmp_path, monkeypatch):
    _store_with({"a.txt": ["one"]}).save(tmp_path)
    real = VectorStore._load_once.__func__
    calls = []

    def racing(cls, folder):
        calls.append(folder)
        if len(calls) == 1:  # a writer saves a new generation while we read the old one
            _store_with({"a.txt": ["one"], "b.txt": ["two"]}).save(tmp_path)
            raise IndexCorruptError("index file vectors-1.faiss is missing")
        return real(cls, folder)

    monkeypatch.setattr(VectorStore, "_load_once", classmethod(racing))
    assert VectorStore.load(tmp_path).sources == ["a.txt", "b.txt"]


def test_damage_without_a_writer_is_still_reported(tmp_path):
    _store_with({"a.txt": ["one"]}).save(tmp_path)
    next(tmp_path.glob("chunks-*.json")).write_text("[]")
    with pytest.raises(IndexCorruptError):
        VectorStore.load(tmp_path)


def test_lexical_index_is_saved_with_the_vectors_and_follows_file_changes(tmp_path):
    store = _store_with({"a.txt": ["pyramids of Giza"], "b.txt": ["the Nile delta"]})
    store.save(tmp_path)
    loaded = VectorStore.load(tmp_path)
    assert [h.chunk.source for h in loaded.search_lexical("Giza pyramids", 3)] == ["a.txt"]
    loaded.remove_file("a.txt")
    loaded.save(tmp_path)
    again = VectorStore.load(tmp_path)
    assert again.search_lexical("Giza", 3) == []
    assert [h.chunk.source for h in again.search_lexical("Nile", 3)] == ["b.txt"]


def test_a_format_1_index_without_lexical_file_still_loads_and_gains_one(tmp_path):
    _store_with({"a.txt": ["pyramids of Giza"]}).save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    (tmp_path / manifest["lexical_file"]).unlink()
    manifest.update(format_version=1, lexical_file="", lexical_sha256="")
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    loaded = VectorStore.load(tmp_path)
    assert [h.chunk.source for h in loaded.search_lexical("Giza", 3)] == ["a.txt"]
    loaded.save(tmp_path)
    assert VectorStore.load(tmp_path).manifest.format_version == FORMAT_VERSION


def test_damaged_lexical_file_is_reported_as_corrupt(tmp_path):
    _store_with({"a.txt": ["one"]}).save(tmp_path)
    lexical = next(tmp_path.glob("lexical-*.npz"))
    lexical.write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError, match="checksum.*--rebuild"):
        VectorStore.load(tmp_path)


@pytest.mark.parametrize("damage", ["swapped", "shared"])
def test_a_manifest_listing_chunks_under_the_wrong_file_is_corrupt(tmp_path, damage):
    # Found by benchmarks/reliability.py: with every id still listed once, such a manifest
    # loaded, and the next change to either file removed the other file's chunks.
    _store_with({"a.txt": ["one", "two"], "b.txt": ["three"]}).save(tmp_path)
    data = json.loads((tmp_path / "manifest.json").read_text())
    files = data["files"]
    if damage == "swapped":
        files["a.txt"]["chunk_ids"], files["b.txt"]["chunk_ids"] = files["b.txt"]["chunk_ids"], files["a.txt"]["chunk_ids"]
    else:  # one chunk listed under both files
        files["b.txt"]["chunk_ids"] = files["b.txt"]["chunk_ids"] + files["a.txt"]["chunk_ids"][:1]
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(IndexCorruptError, match="inconsistent.*--rebuild"):
        VectorStore.load(tmp_path)
