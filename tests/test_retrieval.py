import pytest

from fakes import HashingEmbedder
from rag.errors import ConfigError
from rag.retrieval import best_cosine, retrieve
from rag.store import VectorStore
from rag.types import Chunk

TEXTS = {
    "ships.txt": "Harbour ships sail with cargo across the harbour water to ports",
    "code.txt": "The reactor code name was XK-42 in the report",
    "boats.txt": "Boats and ships in the harbour carry cargo and water",
}


@pytest.fixture
def store():
    embedder = HashingEmbedder()
    store = VectorStore.empty(embedder.model_id, embedder.dimension, {}, "")
    for source, text in TEXTS.items():
        chunk = Chunk(-1, source, text, 0, len(text), 1, 1)
        store.add_file(source, "sha", len(text), None, [chunk], embedder.embed([text]))
    return store


def _sources(hits):
    return [h.chunk.source for h in hits]


def test_each_mode_ranks_and_every_hit_carries_its_cosine(store):
    embedder = HashingEmbedder()
    question = "ships carrying cargo in the harbour"
    for mode in ("dense", "lexical", "hybrid"):
        hits = retrieve(store, embedder, question, 2, mode)
        assert set(_sources(hits)) == {"ships.txt", "boats.txt"}, mode
        expected = embedder.embed([h.chunk.text for h in hits]) @ embedder.embed([question])[0]
        assert [h.dense for h in hits] == pytest.approx(expected.tolist(), abs=1e-5)
    assert best_cosine(hits) == pytest.approx(max(expected))


def test_hybrid_fuses_a_lexical_only_find_into_the_top(store):
    embedder = HashingEmbedder()
    question = "ships cargo harbour water XK-42"
    dense = _sources(retrieve(store, embedder, question, 2, "dense"))
    lexical = _sources(retrieve(store, embedder, question, 2, "lexical"))
    hybrid = retrieve(store, embedder, question, 2, "hybrid", rrf_k=60, lexical_weight=1.0)
    assert "code.txt" not in dense and lexical[0] == "code.txt"
    assert sorted(_sources(hybrid)) == ["code.txt", "ships.txt"]
    assert hybrid[0].score >= hybrid[1].score


def test_lexical_weight_decides_between_the_two_rankings(store):
    embedder = HashingEmbedder()
    question = "ships cargo harbour water XK-42"
    dense_first = _sources(retrieve(store, embedder, question, 3, "dense"))
    lexical_first = _sources(retrieve(store, embedder, question, 3, "lexical"))
    assert dense_first[0] != lexical_first[0]
    assert _sources(retrieve(store, embedder, question, 1, "hybrid", lexical_weight=0.0)) == dense_first[:1]
    assert _sources(retrieve(store, embedder, question, 1, "hybrid", lexical_weight=10.0)) == lexical_first[:1]


def test_unknown_mode_names_the_choices(store):
    with pytest.raises(ConfigError, match="dense, lexical, hybrid"):
        retrieve(store, HashingEmbedder(), "ships", 2, "fuzzy")


def test_best_cosine_of_no_hits_is_none():
    assert best_cosine([]) is None
