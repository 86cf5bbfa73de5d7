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
