"""Follow-up questions and per-question settings through the Assistant (fake models)."""
import dataclasses

import pytest

from rag import ConfigError
from rag.conversation import rewrite_followup
from rag.types import Answer

MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"


@pytest.fixture
def assistant(scripted_assistant):
    return scripted_assistant({"Who did Rashid Meredov": "Zeynal Hajiyev",
                               "Minister of Foreign Affairs": "Rashid Meredov"})


def test_follow_up_is_rewritten_with_the_previous_answer_and_answered(assistant):
    first = assistant.ask(MINISTER_Q)
    assert first.text == "Rashid Meredov"
    stream = assistant.stream("and who did he meet?", history=[first])
    assert stream.question.startswith("Who did Rashid Meredov")
    list(stream)
    answer = stream.answer
    assert answer.question == stream.question and answer.text == "Zeynal Hajiyev"
    assert answer.citations and "Zeynal Hajiyev" in answer.citations[0].quote
    assert all("Who did Rashid Meredov" in p.completion for p in assistant.generator.prompts[-3:])


def test_without_history_the_question_is_asked_as_it_is(assistant):
    answer = assistant.ask("and who did he meet?")
    assert answer.question == "and who did he meet?"


def test_follow_ups_chain_through_rewritten_questions():
    first = Answer(MINISTER_Q, "Rashid Meredov", False)
    second = Answer(rewrite_followup("and who did he meet?", [first]), "Zeynal Hajiyev", False)
    assert second.question.startswith("Who did Rashid Meredov")
    assert rewrite_followup("What is his position?", [first, second]) == "What is Zeynal Hajiyev's position?"


def test_per_question_settings_change_passages_and_answer_length_only_for_that_question(assistant):
    settings = assistant.settings
    narrow = dataclasses.replace(
        settings, retrieval=dataclasses.replace(settings.retrieval, top_k=1),
        generation=dataclasses.replace(settings.generation, reading_max_tokens=7))
    answer = assistant.ask(MINISTER_Q, settings=narrow)
    assert len(answer.hits) == 1
    assert {p.max_tokens for p in assistant.generator.prompts} == {7}
    assert len(assistant.ask(MINISTER_Q).hits) == settings.retrieval.top_k, "the Assistant's own are untouched"
    with pytest.raises(ConfigError):
        assistant.ask(MINISTER_Q, settings=dataclasses.replace(
            settings, retrieval=dataclasses.replace(settings.retrieval, top_k=0)))


def test_warm_up_runs_both_models_once(assistant, embedder):
    before = len(embedder.calls)
    assert assistant.store.lexical._bm25 is None  # built on first use
    assistant.warm_up()
    assert len(embedder.calls) == before + 1
    assert assistant.store.lexical._bm25 is not None, "the first question doesn't build BM25"
    assert assistant.generator.prompts[-1].max_tokens == 1


def test_top_k_and_mode_keywords_are_this_questions_settings(assistant):
    answer = assistant.ask(MINISTER_Q, top_k=1, mode="lexical")
    lexical = assistant.search(MINISTER_Q, k=1, mode="lexical")
    assert [h.chunk.id for h in answer.hits] == [h.chunk.id for h in lexical]
    stream = assistant.stream(MINISTER_Q, top_k=2)
    list(stream)
    assert len(stream.answer.hits) == 2
    assert assistant.settings.retrieval.top_k == 4 and assistant.settings.retrieval.mode == "hybrid"
    with pytest.raises(ConfigError):
        assistant.ask(MINISTER_Q, top_k=0)
    with pytest.raises(ConfigError):
        assistant.ask(MINISTER_Q, mode="fuzzy")


def test_a_question_naming_a_new_subject_is_searched_on_its_own(assistant):
    first = assistant.ask(MINISTER_Q)
    stream = assistant.stream("what about Hajiyev, where did he meet Madrakhimov?", history=[first])
    assert stream.question == "Where did Hajiyev meet Madrakhimov?"
