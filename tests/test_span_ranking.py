"""The span-ranking reader: the model ranks a window's candidate phrases instead of writing."""
from dataclasses import replace

import pytest

from fakes import ScriptedGenerator, SpanScoringGenerator
from rag import Assistant, Settings
from rag.errors import ConfigError

MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"
ROLE_Q = "What is Zeynal Hajiyev's role at the International Organization for Migration?"


def settings_with(reader: str, **grounding) -> Settings:
    base = Settings()
    return Settings(generation=replace(base.generation, reader=reader),
                    grounding=replace(base.grounding, min_answerability=0.0, **grounding))


def open_with(seeds_copy, tmp_path, embedder, generator, settings):
    return Assistant.open(seeds_copy, tmp_path / "idx", embedder=embedder, generator=generator, settings=settings)


def test_the_best_scoring_candidate_is_the_short_answer(seeds_copy, tmp_path, embedder):
    generator = SpanScoringGenerator({"Rashid Meredov": [-0.2, -0.4], "Zeynal Hajiyev": [-0.5, -0.9]})
    answer = open_with(seeds_copy, tmp_path, embedder, generator, settings_with("spans")).ask(MINISTER_Q)
    assert answer.short_answer == "Rashid Meredov" and answer.kind == "short"
    assert generator.prompts == [], "nothing is generated"
    prompt, spans = next((p, s) for p, s in generator.scored if "Rashid Meredov" in s)
    assert prompt.completion.endswith(f"Question: {MINISTER_Q}\nAnswer:")
    assert "Zeynal Hajiyev" in spans and "Minister" not in spans, "the question's own words are no candidate"


def test_sum_and_mean_can_choose_differently(seeds_copy, tmp_path, embedder):
    scores = {"Rashid Meredov": [-0.1, -0.1, -0.1, -2.9], "Zeynal Hajiyev": [-2.0]}  # mean -0.8, sum -3.2
    for how, expected in (("mean", "Rashid Meredov"), ("sum", "Zeynal Hajiyev")):
        settings = settings_with("spans")
        settings = replace(settings, generation=replace(settings.generation, span_score=how))
        answer = open_with(seeds_copy, tmp_path / how, embedder, SpanScoringGenerator(scores), settings).ask(MINISTER_Q)
        assert expected in (answer.short_answer or "") + answer.draft.split("\n")[0], how


def test_a_chosen_span_still_goes_through_the_checks(seeds_copy, tmp_path, embedder):
    # "Deputy Minister" describes Madrakhimov, not Hajiyev: the rules reject it however
    # much the model likes it
    generator = SpanScoringGenerator({"Deputy Minister": [-0.01]})
    answer = open_with(seeds_copy, tmp_path, embedder, generator,
                       settings_with("spans", min_evidence=0.0, min_short_coverage=0.0)).ask(ROLE_Q)
    assert "Deputy Minister" in answer.draft
    assert answer.short_answer != "Deputy Minister"
    assert "'Deputy Minister': it describes 'Muzaffar Madrakhimov'" in answer.reason


def test_generate_then_spans_keeps_an_acceptable_draft(seeds_copy, tmp_path, embedder):
    generator = SpanScoringGenerator({"Zeynal Hajiyev": [-0.1]}, script={"Minister of Foreign": "Rashid Meredov"})
    answer = open_with(seeds_copy, tmp_path, embedder, generator, settings_with("generate+spans")).ask(MINISTER_Q)
    assert answer.short_answer == "Rashid Meredov"
    window_with_answer = [p for p in generator.prompts if "Rashid Meredov" in p.completion.rsplit("Passage:", 1)[1]]
    assert window_with_answer and not any("Rashid Meredov" in p.completion.rsplit("Passage:", 1)[1]
                                          for p, _ in generator.scored), "its draft was kept: no spans scored"


def test_generate_then_spans_replaces_a_draft_from_outside_the_window(seeds_copy, tmp_path, embedder):
    generator = SpanScoringGenerator({"Rashid Meredov": [-0.1]}, script={"Minister of Foreign": "Ashgabat"})
    answer = open_with(seeds_copy, tmp_path, embedder, generator, settings_with("generate+spans")).ask(MINISTER_Q)
    assert generator.prompts and generator.scored
    assert answer.short_answer == "Rashid Meredov"


def test_a_generator_without_span_scores_generates(seeds_copy, tmp_path, embedder):
    generator = ScriptedGenerator({"Minister of Foreign": "Rashid Meredov"})
    answer = open_with(seeds_copy, tmp_path, embedder, generator, settings_with("spans")).ask(MINISTER_Q)
    assert answer.short_answer == "Rashid Meredov" and generator.prompts


def test_an_unknown_reader_is_a_clear_error():
    with pytest.raises(ConfigError, match="generation.reader 'guess' is unknown; use one of generate, spans"):
        settings_with("guess").validate()


def test_a_best_candidate_below_the_least_score_is_no_draft(seeds_copy, tmp_path, embedder):
    generator = SpanScoringGenerator({"Rashid Meredov": [-1.5]})
    settings = settings_with("spans")
    settings = replace(settings, generation=replace(settings.generation, span_min_score=-1.0))
    answer = open_with(seeds_copy, tmp_path, embedder, generator, settings).ask(MINISTER_Q)
    assert generator.scored and answer.draft == "" and answer.short_answer is None
