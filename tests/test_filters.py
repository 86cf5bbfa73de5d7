"""Per-question document filters (sources, since, until), applied inside retrieval (fake models)."""
import json
import os
from datetime import date, datetime

import numpy as np
import pytest

import rag.ann
from fakes import HashingEmbedder, ScriptedGenerator
from rag import Assistant, DocumentFilter, FilterError, NoMatchingDocumentsError, Settings
from rag.cli import main as real_main
from rag.config import ChunkingSettings, RetrievalSettings
from rag.filters import scope
from rag.lexical import LexicalIndex
from rag.retrieval import retrieve
from rag.store import VectorStore
from rag.types import Chunk

QUESTION = "harbour ships cargo"
# best.txt matches the question far better than the allowed file, chunk for chunk
BEST = ["harbour ships cargo harbour ships cargo harbour ships", "ships cargo harbour ships and cargo harbour ships",
        "cargo harbour ships cargo harbour ships cargo harbour", "harbour ships cargo ships harbour ships cargo ships",
        "harbour cargo ships harbour cargo ships harbour cargo", "ships harbour cargo cargo ships harbour cargo cargo"]
WEAK = ["the harbour master keeps a diary of the rain", "a diary of the weather at the harbour gate",
        "fog over the harbour again today and all night", "wind and rain by the harbour wall this week",
        "a quiet morning near the harbour with no wind"]


def _store(files: dict[str, list[str]]) -> VectorStore:
    embedder = HashingEmbedder()
    store = VectorStore.empty(embedder.model_id, embedder.dimension, {})
    for source, texts in files.items():
        chunks = [Chunk(-1, source, t, 0, len(t), n + 1, n + 1) for n, t in enumerate(texts)]
        store.add_file(source, source, 1, None, chunks, embedder.embed(texts))
    return store


def _ids(store: VectorStore, *sources: str) -> np.ndarray:
    return np.asarray([i for s in sources for i in store.manifest.files[s].chunk_ids], dtype=np.int64)


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_k_results_come_from_the_allowed_file_not_k_filtered_down(mode):
    store = _store({"best.txt": BEST, "notes/log.md": WEAK})
    embedder = HashingEmbedder()
    unfiltered = retrieve(store, embedder, QUESTION, 4, mode, pool=4)
    assert {h.chunk.source for h in unfiltered} == {"best.txt"}  # searching, then filtering, would leave none
    hits = retrieve(store, embedder, QUESTION, 4, mode, pool=4, allowed=_ids(store, "notes/log.md"))
    assert len(hits) == 4 and {h.chunk.source for h in hits} == {"notes/log.md"}
    assert all(h.dense is not None for h in hits)


def test_bm25_masks_scores_to_the_allowed_chunks_before_its_top_k():
    lexical = LexicalIndex()
    for i, text in enumerate(BEST + WEAK):
        lexical.add(i, text)
    allowed = np.arange(len(BEST), len(BEST) + len(WEAK))
    top = lexical.search(QUESTION, 3, allowed)
    assert len(top) == 3 and all(i in allowed for i, _ in top)
    assert [i for i, _ in lexical.search(QUESTION, 3)] != [i for i, _ in top]
    assert lexical.search(QUESTION, 3, np.asarray([999, 2])) == lexical.search(QUESTION, 1, np.asarray([2]))


def test_the_ivf_copy_of_a_large_index_searches_only_allowed_chunks(monkeypatch):
    monkeypatch.setattr(rag.ann, "ANN_MIN_VECTORS", 100)
    rng = np.random.default_rng(3)
    topics = rng.normal(size=(6, 16))
    store = VectorStore.empty("fake/model", 16, {})
    for f in range(30):
        vectors = topics[rng.integers(0, 6, 8)] + rng.normal(scale=0.4, size=(8, 16))
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        store.add_file(f"f{f}.txt", "x", 1, None, [Chunk(-1, f"f{f}.txt", f"t{f}-{i}", 0, 1, 1, 1)
                                                   for i in range(8)], vectors)
    ivf = store.search_index()
    assert ivf is not store._faiss  # 240 vectors: the IVF copy answers
    query = topics[0] / np.linalg.norm(topics[0])
    half = _ids(store, *[f"f{f}.txt" for f in range(0, 30, 2)])
    hits = store.search(query, 10, allowed=half)
    assert len(hits) == 10 and all(h.chunk.id in half for h in hits)
    # a narrow filter whose chunks lie outside the one list probed still gets its k
    ivf.nprobe = 1
    one = _ids(store, "f7.txt")
    hits = store.search(query, 5, allowed=one)
    assert len(hits) == 5 and {h.chunk.source for h in hits} == {"f7.txt"}
    exact = np.stack([store._faiss.reconstruct(int(i)) for i in one]) @ query
    assert [h.chunk.id for h in hits] == one[np.argsort(-exact)][:5].tolist()


# ---- through the Assistant ---------------------------------------------------------------

@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    (folder / "notes").mkdir(parents=True)
    (folder / "old.txt").write_text(" date 2023-01-05 Batyr Oldname, Minister of Foreign Affairs of "
                                    "Turkmenistan, opened the embassy.\n")
    (folder / "new.txt").write_text(" date 2024-06-01 Rashid Meredov, Minister of Foreign Affairs of "
                                    "Turkmenistan, met the IOM coordinator.\n")
    (folder / "best.txt").write_text("\n\n".join(BEST) + "\n")
    (folder / "notes" / "log.md").write_text("\n\n".join(WEAK) + "\n")
    noon = datetime(2023, 6, 15, 12).timestamp()  # no header: the date is the day it was modified
    for name in ("best.txt", "notes/log.md"):
        os.utime(folder / name, (noon, noon))
    return folder


@pytest.fixture
def assistant(docs, tmp_path):
    settings = Settings(chunking=ChunkingSettings(max_words=12, overlap_words=0),  # a chunk a paragraph
                        retrieval=RetrievalSettings(pool=4))
    return Assistant.open(docs, tmp_path / "idx", embedder=HashingEmbedder(), settings=settings,
                          generator=ScriptedGenerator({"Minister of Foreign Affairs": "Rashid Meredov"}))


def _sources(hits) -> set[str]:
    return {h.chunk.source for h in hits}


def test_search_returns_exactly_k_hits_from_allowed_files(assistant):
    assert _sources(assistant.search(QUESTION, k=4)) == {"best.txt"}
    for mode in ("hybrid", "dense", "lexical"):
        hits = assistant.search(QUESTION, k=4, mode=mode, sources=["*.md"])  # no "/": any folder
        assert len(hits) == 4 and _sources(hits) == {"notes/log.md"}, mode
    assert _sources(assistant.search(QUESTION, k=4, sources=["notes/**"])) == {"notes/log.md"}


def test_the_answer_comes_from_the_allowed_file_only(assistant):
    question = "Who is the Minister of Foreign Affairs of Turkmenistan?"
    assert assistant.search(question, k=1)[0].chunk.source == "old.txt"  # the best passage overall
    answer = assistant.ask(question, since="2024-01-01")
    assert answer.short_answer == "Rashid Meredov"
    assert _sources(answer.hits) == {"new.txt"}
    assert {e.source for e in answer.evidence} == {c.source for c in answer.citations} == {"new.txt"}
    assert not any("Oldname" in p.completion for p in assistant.generator.prompts)
    assert assistant.settings.retrieval == RetrievalSettings(pool=4)  # this question's only
    assert "old.txt" in _sources(assistant.ask(question).hits)


def test_an_abstention_shows_closest_passages_of_allowed_files_and_says_where_it_looked(assistant):
    answer = assistant.ask("What is the capital of Kazakhstan?", sources="new.txt")
    assert answer.abstained and answer.hits and _sources(answer.hits) == {"new.txt"}
    assert answer.reason.endswith("searched 1 of 4 files (source 'new.txt')")
    assert {c["source"] for c in answer.to_dict()["closest"]} == {"new.txt"}


def test_a_follow_up_keeps_to_its_filter(assistant):
    first = assistant.ask("Who is the Minister of Foreign Affairs of Turkmenistan?", sources=["new.*"])
    stream = assistant.stream("and what did he open?", history=[first], sources=["new.*"])
    list(stream)
    assert stream.question.startswith("What did Rashid Meredov") and _sources(stream.answer.hits) == {"new.txt"}


def test_dates_come_from_the_header_else_the_modification_day_with_inclusive_bounds(assistant, docs):
    def searched(**bounds):
        return _sources(assistant.search(QUESTION, k=20, **bounds))

    assert searched(since="2023-06-15", until="2023-06-15") == {"best.txt", "notes/log.md"}  # mtime day
    assert searched(since=date(2023, 6, 16)) == {"new.txt"}
    assert searched(until="2023-06-14") == {"old.txt"}
    assert searched(since="2024-06-01", until="2024-06-01") == {"new.txt"}  # header day, both ends
    late = datetime(2025, 1, 1, 12).timestamp()
    os.utime(docs / "new.txt", (late, late))  # the header wins over the file's own date
    with pytest.raises(NoMatchingDocumentsError, match=r"dated 2023-01-05 to 2024-06-01"):
        assistant.search(QUESTION, since="2025-01-01")


def test_a_file_of_unknown_date_is_left_out_when_dates_are_bounded(assistant, docs):
    (docs / "best.txt").unlink()  # still indexed (no update), but its date can't be read now
    answer = assistant.ask("What is the capital of Kazakhstan?", until="2023-12-31")
    assert "best.txt" not in _sources(answer.hits)
    assert _sources(assistant.search(QUESTION, k=20, until="2023-12-31")) == {"old.txt", "notes/log.md"}
    assert "1 file without a known date left out" in answer.reason
    assert "best.txt" in _sources(assistant.search(QUESTION, k=20, sources=["*.txt"]))  # no date bound


def test_a_filter_matching_no_file_is_an_error_naming_what_exists(assistant):
    with pytest.raises(NoMatchingDocumentsError) as error:
        assistant.ask("Who?", sources=["*.pdf", "report*"])
    message = str(error.value)
    assert "source '*.pdf' or 'report*'" in message and "4 files: best.txt, new.txt, notes/log.md, old.txt" in message
    with pytest.raises(NoMatchingDocumentsError, match=r"1 file matching source 'old.txt' is dated 2023-01-05"):
        assistant.search("Who?", sources=["old.txt"], since="2024-01-01")


@pytest.mark.parametrize("keywords,message", [
    (dict(since="2024-13-01"), "not a real date"),
    (dict(until="yesterday"), "give it as YYYY-MM-DD"),
    (dict(since="2024-05-01", until="2024-04-01"), "swap them"),
    (dict(sources=[""]), "is empty"),
    (dict(sources=[]), "allows no file"),
    (dict(sources=["*.txt"], document_filter=DocumentFilter(["*.md"])), "not both"),
])
def test_malformed_filters_are_refused_with_the_fix(assistant, keywords, message):
    for call in (assistant.ask, assistant.search):
        with pytest.raises(FilterError, match=message):
            call("Who is the minister?", **keywords)


def test_a_filter_allowing_every_file_searches_as_no_filter_does(assistant):
    plain = assistant.search(QUESTION, k=6)
    assert assistant.search(QUESTION, k=6, sources=["*"]) == plain
    assert assistant._allowed_chunks(DocumentFilter(["*"]))[0] is None  # the unfiltered path itself


@pytest.mark.parametrize("pattern,matching,other", [  # the table in docs/filters.md
    ("report.pdf", ["report.pdf", "a/b/Report.PDF"], ["report.pdf.txt", "old_report.pdf"]),
    ("*.pdf", ["a.pdf", "sub/b.pdf"], ["a.pdf.txt", "pdf"]),
    ("notes/*.md", ["notes/a.md"], ["notes/2024/a.md", "x/notes/a.md", "a.md"]),
    ("notes/**", ["notes/a.md", "notes/2024/b/c.txt"], ["notesx/a.md", "x/notes/a.md"]),
    ("notes/", ["notes/a.md", "notes/2024/b/c.txt"], ["notes.md"]),
    ("**/2024/*.md", ["2024/a.md", "notes/2024/a.md"], ["notes/2024/x/a.md", "2024.md"]),
    ("minutes_0[1-3].txt", ["minutes_02.txt"], ["minutes_04.txt", "minutes_1.txt"]),
    ("draft?.md", ["draft1.md", "sub/draftB.md"], ["draft.md", "draft12.md"]),
    ("./a[!b].txt", ["ac.txt"], ["ab.txt", "a/.txt"]),
])
def test_which_names_a_pattern_matches(pattern, matching, other):
    from rag.filters import source_matches

    assert [s for s in matching + other if source_matches(pattern, s)] == matching


def test_scope_asks_modification_times_only_when_dates_are_bounded():
    asked = []
    files = {"a.txt": "2024-01-10", "b.md": None, "c.md": None}

    def mtime(source):
        asked.append(source)
        return datetime(2024, 2, 1, 12).timestamp()

    assert scope(DocumentFilter(["*.md"]), files, mtime).allowed == ("b.md", "c.md") and asked == []
    assert scope(DocumentFilter(since="2024-02-01"), files, mtime).allowed == ("b.md", "c.md")
    assert asked == ["b.md", "c.md"]


# ---- the command line --------------------------------------------------------------------

def _open_with_fakes(*args, **kwargs):
    return Assistant.open(*args, embedder=HashingEmbedder(), **kwargs,
                          generator=ScriptedGenerator({"Minister of Foreign Affairs": "Rashid Meredov"}))


def test_cli_search_and_ask_take_the_filter_flags(docs, tmp_path, capsys):
    base = ["--docs", str(docs), "--index", str(tmp_path / "i"), "--json"]
    assert real_main(["search", QUESTION, *base, "--source", "*.md", "--source", "new.txt"],
                     open_assistant=_open_with_fakes) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]  # one chunk a file at the default chunk size
    assert {h["source"] for h in hits} == {"notes/log.md", "new.txt"}
    assert real_main(["ask", "Who is the Minister of Foreign Affairs of Turkmenistan?", *base,
                      "--since", "2024-01-01", "--until", "2024-12-31"], open_assistant=_open_with_fakes) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["short_answer"] == "Rashid Meredov" and {e["source"] for e in answer["evidence"]} == {"new.txt"}


@pytest.mark.parametrize("flags,message", [
    (["--since", "2024-13-01"], "since '2024-13-01' is not a real date"),
    (["--until", "yesterday"], "until 'yesterday' is not a date; give it as YYYY-MM-DD"),
    (["--since", "2024-05-01", "--until", "2024-04-01"], "is after until"),
    (["--source", ""], "source pattern '' is empty"),
])
def test_cli_refuses_a_malformed_filter_before_opening_anything(flags, message, capsys):
    def never(*_args, **_kwargs):
        raise AssertionError("opened the index for a malformed filter")

    for command in ("ask", "search"):
        assert real_main([command, "Who?", *flags], open_assistant=never) == 2
        err = capsys.readouterr().err
        assert err.startswith("rag: error: ") and message in err and err.count("\n") == 1


def test_cli_names_the_filter_that_matches_nothing(docs, tmp_path, capsys):
    argv = ["search", QUESTION, "--docs", str(docs), "--index", str(tmp_path / "i"), "--source", "*.pdf"]
    assert real_main(argv, open_assistant=_open_with_fakes) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert err.startswith("rag: error: no indexed file matches source '*.pdf'; the index holds 4 files: ")
