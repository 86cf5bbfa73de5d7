"""Example questions taken from documents (rag/examples.py), on the committed real documents."""
from pathlib import Path

from fakes import HashingEmbedder, ScriptedGenerator
from rag import Assistant
from rag.examples import MAX_CHARS, document_question, example_questions, load_seed_rows, seed_examples

TAIL_QUESTION = "Which command can output the last part of files?"
REALDOCS = Path(__file__).resolve().parent.parent / "benchmarks" / "data" / "realdocs"


def _openings() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8")[:3000] for p in sorted(REALDOCS.iterdir())}


def test_most_real_documents_suggest_a_question_in_their_own_words():
    openings = _openings()
    asked = {source: document_question(text) for source, text in openings.items()}
    found = {s: q for s, q in asked.items() if q}
    assert len(found) >= len(openings) // 2
    assert found["man_tail.txt"] == "Which command can output the last part of files?"
    assert found["readme_tmux.txt"] == "What is a terminal multiplexer?"
    for question in found.values():  # whole phrases, not cut mid-way
        assert question.endswith("?") and question.split()[-1].rstrip("?").lower() not in {"the", "and", "of", "for"}


def test_examples_span_the_folder_and_fit_a_button():
    examples = example_questions(_openings())
    assert len(examples) == 4 and len(set(examples)) == 4
    assert all(len(q) <= MAX_CHARS for q in examples)


def test_keep_turns_questions_down_and_others_take_their_place():
    refused = []

    def keep(question, source):
        if source.startswith("man_"):
            refused.append(question)
            return False
        return True

    examples = example_questions(_openings(), keep=keep)
    assert refused and not set(refused) & set(examples)
    assert len(examples) <= 4


def test_the_seed_set_is_used_only_when_every_file_it_names_is_indexed():
    rows = load_seed_rows()
    assert rows, "tests/data/seeds_qa.jsonl is readable"
    seeds = {"000_dc7361d3392e1266.txt", "003_064eea4f1c13281f.txt"}
    assert len(seed_examples(seeds | {"notes.txt"}, rows)) == 4
    assert seed_examples({"000_dc7361d3392e1266.txt"}, rows) == []
    assert load_seed_rows(Path("/nonexistent/seeds_qa.jsonl")) == []


def test_an_assistants_examples_are_worked_out_once_per_index_state(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("man_tail.txt", "readme_tmux.txt"):
        (docs / name).write_text((REALDOCS / name).read_text(encoding="utf-8")[:3000], encoding="utf-8")
    assistant = Assistant.open(docs, tmp_path / "index", embedder=HashingEmbedder(), generator=ScriptedGenerator({}))
    searches = []
    search = assistant.search
    assistant.search = lambda question, k=None: searches.append(question) or search(question, k)
    first = assistant.example_questions()
    asked = len(searches)
    assert TAIL_QUESTION in first and asked
    assert assistant.example_questions() == first and len(searches) == asked  # cached
    (docs / "man_tail.txt").unlink()
    assistant.reindex()
    assert TAIL_QUESTION not in assistant.example_questions()  # the new index's own
