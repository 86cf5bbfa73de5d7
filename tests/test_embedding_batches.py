"""Indexing embeds in length-sorted runs, several at once: the index must not depend on how.

Files are grouped into embedding calls (indexing.EMBED_GROUP_WORDS), each call's texts are
cut into runs of similar length (onnx_embedding.length_batches), and the runs go to several
threads at once (onnx_embedding.embed_in_batches). Whatever the grouping and whichever
thread finishes first, every chunk must keep its own vector.
"""
import random
import time

import numpy as np

import rag.indexing as indexing
from fakes import HashingEmbedder
from rag.config import Settings
from rag.indexing import sync_index
from rag.onnx_embedding import embed_in_batches, length_batches

ANIMALS = ["heron", "otter", "lynx", "badger", "crane", "marten", "ibex", "vole"]
PLACES = ["the mill", "the weir", "the old bridge", "the salt marsh", "the quarry", "the orchard"]


def write_folder(folder):
    """60 one-paragraph notes of different lengths, and one long file of several chunks."""
    folder.mkdir()
    rng = random.Random(7)
    for n in range(60):
        sentences = [f"Note {n}: a {rng.choice(ANIMALS)} was seen near {rng.choice(PLACES)} at dawn."
                     for _ in range(1 + n % 9)]
        (folder / f"note-{n:02d}.txt").write_text(" ".join(sentences) + "\n", encoding="utf-8")
    long = [f"Survey line {n} counted {n % 7 + 1} {ANIMALS[n % 8]}s by {PLACES[n % 6]}." for n in range(150)]
    (folder / "survey.md").write_text("\n\n".join(" ".join(long[i:i + 5]) for i in range(0, 150, 5)) + "\n",
                                      encoding="utf-8")


class RunsAtOnce(HashingEmbedder):
    """The hashing fake, embedding as OnnxEmbedder does: length-sorted runs of `size` texts,
    `workers` at once, each finishing after a random pause (so out of order)."""

    def __init__(self, size: int, workers: int):
        super().__init__()
        self.size, self.workers, self.rng = size, workers, random.Random(3)

    def embed(self, texts):
        def run(batch):
            time.sleep(self.rng.random() / 200)
            return HashingEmbedder.embed(self, [texts[i] for i in batch])

        return embed_in_batches(length_batches(texts, self.size), run, len(texts), self.dimension, self.workers)


def index_contents(store):
    """Per file, in order: each chunk's text, spans and vector."""
    return {source: [(store.chunks[i].text, store.chunks[i].start_char, store.chunks[i].end_char,
                      store.chunks[i].start_line, store._faiss.reconstruct(int(i))) for i in entry.chunk_ids]
            for source, entry in store.manifest.files.items()}


def test_the_index_is_the_same_however_files_and_runs_are_batched(tmp_path, monkeypatch):
    write_folder(tmp_path / "docs")
    one_call, _ = sync_index(tmp_path / "docs", tmp_path / "a", HashingEmbedder(), Settings())
    monkeypatch.setattr(indexing, "EMBED_GROUP_WORDS", 40)  # a few files per embedding call
    batched = RunsAtOnce(size=3, workers=4)
    many_calls, _ = sync_index(tmp_path / "docs", tmp_path / "b", batched, Settings())
    assert len(batched.calls) > 20 and len({len(c) for c in batched.calls}) > 1  # it did batch differently

    expected, got = index_contents(one_call), index_contents(many_calls)
    assert got.keys() == expected.keys() and len(got) == 61 and len(got["survey.md"]) > 2
    for source, chunks in expected.items():
        assert [c[:4] for c in got[source]] == [c[:4] for c in chunks], source
        assert np.allclose(np.stack([c[4] for c in got[source]]), np.stack([c[4] for c in chunks]), atol=1e-6), source


def test_runs_are_longest_first_and_cover_every_text_once():
    texts = ["a" * n for n in (5, 50, 1, 20, 20, 7, 33)]
    batches = length_batches(texts, 3)
    assert sorted(i for b in batches for i in b) == list(range(7))
    lengths = [len(texts[i]) for b in batches for i in b]
    assert lengths == sorted(lengths, reverse=True) and [len(b) for b in batches] == [3, 3, 1]
