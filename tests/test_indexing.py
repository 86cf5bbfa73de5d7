import shutil

import pytest

from fakes import HashingEmbedder
from rag.config import ChunkingSettings, Settings
from rag.errors import DocumentsError
from rag.indexing import sync_index
from rag.store import VectorStore

SETTINGS = Settings()


def test_first_run_indexes_everything(seeds_copy, tmp_path, embedder):
    store, report = sync_index(seeds_copy, tmp_path / "idx", embedder, SETTINGS)
    assert sorted(report.added) == ["000_dc7361d3392e1266.txt", "003_064eea4f1c13281f.txt"]
    assert report.chunks_embedded == report.chunks_total == len(store) > 0
    assert VectorStore.load(tmp_path / "idx").manifest.files.keys() == store.manifest.files.keys()


def test_unchanged_folder_embeds_nothing(seeds_copy, tmp_path, embedder):
    sync_index(seeds_copy, tmp_path / "idx", embedder, SETTINGS)
    before = len(embedder.embedded_texts)
    store, report = sync_index(seeds_copy, tmp_path / "idx", embedder, SETTINGS)
    assert len(embedder.embedded_texts) == before
    assert not report.changed and len(report.unchanged) == 2


def test_add_change_delete_are_incremental_and_never_duplicate(seeds_copy, tmp_path, embedder):
    idx = tmp_path / "idx"
    sync_index(seeds_copy, idx, embedder, SETTINGS)
    (seeds_copy / "new.md").write_text("# Notes\n\nThe river Oxus flows into the Aral Sea.\n")
    changed = seeds_copy / "003_064eea4f1c13281f.txt"
    changed.write_text(changed.read_text() + "\n\nA closing sentence was added later.\n")
    (seeds_copy / "000_dc7361d3392e1266.txt").unlink()
    embedder.calls.clear()

    store, report = sync_index(seeds_copy, idx, embedder, SETTINGS)
    assert (report.added, report.updated, report.removed) == (
        ["new.md"], ["003_064eea4f1c13281f.txt"], ["000_dc7361d3392e1266.txt"])
    embedded = embedder.embedded_texts
    assert any("Oxus" in t for t in embedded) and any("closing sentence" in t for t in embedded)
    assert not any("Madrakhimov" in t for t in embedded)
    loaded = VectorStore.load(idx)
    texts = [c.text for c in loaded.chunks.values()]
    assert len(texts) == len(set(texts)), "no duplicated chunks"
    assert {c.source for c in loaded.chunks.values()} == {"new.md", "003_064eea4f1c13281f.txt"}
    assert loaded._faiss.ntotal == len(loaded.chunks)
    assert sum("closing sentence" in t for t in texts) == 1


@pytest.mark.parametrize("change", ["embedder", "chunking"])
def test_changed_model_or_chunking_rebuilds_with_a_message(seeds_copy, tmp_path, embedder, change):
    idx = tmp_path / "idx"
    sync_index(seeds_copy, idx, embedder, SETTINGS)
    messages = []
    if change == "embedder":
        other, settings = HashingEmbedder(32, "fake/other"), SETTINGS
    else:
        other, settings = embedder, Settings(chunking=ChunkingSettings(60, 10))
    store, report = sync_index(seeds_copy, idx, other, settings, log=messages.append)
    assert report.rebuilt and any("rebuilding" in m for m in messages)
    assert len(report.added) == 2 and report.chunks_embedded == len(store)
    assert VectorStore.load(idx).manifest.dimension == other.dimension


def test_bad_files_are_skipped_without_aborting(seeds_copy, tmp_path, embedder):
    (seeds_copy / "bad.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (seeds_copy / "latin.txt").write_bytes("na\xefve".encode("latin-1"))
    store, report = sync_index(seeds_copy, tmp_path / "idx", embedder, SETTINGS)
    assert {s.source for s in report.skipped} == {"bad.txt"}
    assert len(report.added) == 3  # the Latin-1 file is decoded, not refused
    assert any(c.text == "naïve" for c in store.chunks.values())
    assert any("skipped   bad.txt" in line for line in report.lines())


def test_file_that_becomes_unreadable_leaves_the_index(seeds_copy, tmp_path, embedder):
    idx = tmp_path / "idx"
    sync_index(seeds_copy, idx, embedder, SETTINGS)
    (seeds_copy / "000_dc7361d3392e1266.txt").write_bytes(b"\x00binary now")
    store, report = sync_index(seeds_copy, idx, embedder, SETTINGS)
    assert report.removed == ["000_dc7361d3392e1266.txt"]
    assert store.sources == ["003_064eea4f1c13281f.txt"]


def test_empty_folder_is_an_error_and_keeps_the_index(seeds_copy, tmp_path, embedder):
    idx = tmp_path / "idx"
    sync_index(seeds_copy, idx, embedder, SETTINGS)
    before = (idx / "manifest.json").read_bytes()
    shutil.rmtree(seeds_copy)
    seeds_copy.mkdir()
    with pytest.raises(DocumentsError, match="holds no documents rag can read"):
        sync_index(seeds_copy, idx, embedder, SETTINGS)
    assert (idx / "manifest.json").read_bytes() == before
    assert len(VectorStore.load(idx)) > 0


def test_embedding_failure_midway_keeps_the_previous_index(seeds_copy, tmp_path, embedder):
    idx = tmp_path / "idx"
    sync_index(seeds_copy, idx, embedder, SETTINGS)
    (seeds_copy / "new.txt").write_text("Something new to embed.")

    class Exploding(HashingEmbedder):
        def embed(self, texts):
            raise RuntimeError("out of memory (simulated)")

    with pytest.raises(RuntimeError, match="simulated"):
        sync_index(seeds_copy, idx, Exploding(), SETTINGS)
    assert VectorStore.load(idx).sources == ["000_dc7361d3392e1266.txt", "003_064eea4f1c13281f.txt"]


def test_changed_file_reuses_the_vectors_of_chunks_it_still_has(seeds_copy, tmp_path, embedder):
    idx = tmp_path / "idx"
    store, _ = sync_index(seeds_copy, idx, embedder, SETTINGS)
    source = "003_064eea4f1c13281f.txt"
    chunks_before = len(store.manifest.files[source].chunk_ids)
    path = seeds_copy / source
    path.write_text(path.read_text(encoding="utf-8") + " A closing sentence was added later.", encoding="utf-8")
    embedder.calls.clear()
    store, report = sync_index(seeds_copy, idx, embedder, SETTINGS)
    assert report.updated == [source]
    assert embedder.embedded_texts and all("closing sentence" in t for t in embedder.embedded_texts)
    assert report.chunks_embedded == len(embedder.embedded_texts) < chunks_before
    assert report.chunks_reused == len(store.manifest.files[source].chunk_ids) - report.chunks_embedded > 0
    # the reused vectors are the right ones: each chunk is still its own nearest neighbour
    for chunk_id in store.manifest.files[source].chunk_ids:
        vector = store._faiss.reconstruct(chunk_id)
        assert store.search(vector, 1)[0].chunk.id == chunk_id
    assert embedder.embed([store.chunks[chunk_id].text])[0] == pytest.approx(vector, abs=1e-5)


def test_chunks_of_many_files_are_embedded_in_few_large_calls(seeds_copy, tmp_path, embedder, monkeypatch):
    # one call gets every file's chunks, so the embedder can sort them all by length
    for n in range(5):
        (seeds_copy / f"extra{n}.txt").write_text(f"Extra file {n} says the river number {n} is long.\n")
    _, report = sync_index(seeds_copy, tmp_path / "idx", embedder, SETTINGS)
    assert len(embedder.calls) == 1 and len(embedder.calls[0]) == report.chunks_embedded

    import rag.indexing

    monkeypatch.setattr(rag.indexing, "EMBED_GROUP_WORDS", 10)  # a call per file
    embedder.calls.clear()
    _, report = sync_index(seeds_copy, tmp_path / "idx2", embedder, SETTINGS)
    assert len(embedder.calls) == report.files_total == 7
    assert sum(len(c) for c in embedder.calls) == report.chunks_embedded
