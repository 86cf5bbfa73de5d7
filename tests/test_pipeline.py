import pytest

from fakes import ScriptedGenerator
from rag import Assistant, QuestionError, Settings
from rag.citations import quote_in_file
from rag.config import RetrievalSettings

MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"


@pytest.fixture
def assistant(seeds_copy, tmp_path, embedder):
    generator = ScriptedGenerator({
        "Minister of Foreign Affairs": "Rashid Meredov",
        "capital of Kazakhstan": "Astana",
        "Where did the meeting": "Tashkent, Uzbekistan.",
    })
    return Assistant.open(seeds_copy, tmp_path / "idx", embedder=embedder, generator=generator)


def test_open_builds_the_index_and_reports_it(assistant):
    assert sorted(assistant.report.added) == ["000_dc7361d3392e1266.txt", "003_064eea4f1c13281f.txt"]
    assert (assistant.index_dir / "manifest.json").is_file()


def test_ask_returns_a_grounded_answer_with_verified_citations(assistant, seeds_copy):
    answer = assistant.ask(MINISTER_Q)
    assert not answer.abstained and "Meredov" in answer.text
    assert answer.citations
    for c in answer.citations:
        file_text = (seeds_copy / c.source).read_text(encoding="utf-8")
        assert quote_in_file(c, file_text)
        assert c.quote in "\n".join(file_text.splitlines()[c.start_line - 1:c.end_line])
        assert c.score in [h.score for h in answer.hits if h.chunk.source == c.source]


def test_prompt_holds_the_passages_and_the_question(assistant):
    assistant.ask(MINISTER_Q)
    prompt = assistant.generator.prompts[-1]
    assert prompt.completion.rstrip().endswith(f"Question: {MINISTER_Q}\nAnswer:")
    assert "Rashid Meredov" in prompt.completion
    assert prompt.messages[-1]["content"].endswith(MINISTER_Q)


def test_answer_from_the_models_own_knowledge_is_an_abstention(assistant):
    answer = assistant.ask("What is the capital of Kazakhstan?")
    assert answer.abstained and answer.citations == ()
    assert "could not find" in answer.text and "Astana" not in answer.text
    assert answer.draft.strip() == "Astana"
    assert answer.hits, "closest passages are shown instead"
    assert answer.to_dict()["closest"]


def test_low_retrieval_score_abstains_without_asking_the_model(seeds_copy, tmp_path, embedder):
    generator = ScriptedGenerator({}, default="should not be asked")
    settings = Settings(retrieval=RetrievalSettings(min_score=0.99))
    assistant = Assistant.open(seeds_copy, tmp_path / "idx", embedder=embedder, generator=generator,
                               settings=settings)
    answer = assistant.ask(MINISTER_Q)
    assert answer.abstained and generator.prompts == []
    assert "threshold" in answer.reason


def test_stream_yields_pieces_then_the_verified_answer(assistant):
    stream = assistant.stream("Where did the meeting between Madrakhimov and the IOM coordinator take place?")
    pieces = list(stream)
    assert len(pieces) == 2 and "".join(pieces) == "Tashkent, Uzbekistan."
    assert stream.answer is not None and not stream.answer.abstained
    assert stream.answer.citations[0].source == "000_dc7361d3392e1266.txt"


def test_search_returns_ranked_hits(assistant):
    hits = assistant.search(MINISTER_Q, k=3)
    assert len(hits) == 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


@pytest.mark.parametrize("question,match", [("", "empty"), ("   ", "empty"), (42, "text"), ("x" * 5000, "characters")])
def test_bad_questions_are_clear_errors(assistant, question, match):
    with pytest.raises(QuestionError, match=match):
        assistant.ask(question)


def test_open_without_update_uses_the_saved_index(assistant, seeds_copy, embedder):
    (seeds_copy / "later.txt").write_text("Added after indexing.")
    again = Assistant.open(seeds_copy, assistant.index_dir, embedder=embedder,
                           generator=assistant.generator, update=False)
    assert "later.txt" not in again.store.sources and again.report is None
