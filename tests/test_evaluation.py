import json
import re

import pytest

from fakes import ScriptedAssistant
from rag.errors import ConfigError
from rag.eval_report import format_summary, format_table
from rag.evaluation import (
    RANKING_DEPTH,
    EvalQuestion,
    EvalResult,
    evaluate,
    load_questions,
    percentile,
    select_split,
    summarize,
)
from rag.scoring import contains_answer, first_hit_rank
from rag.types import Answer, Chunk, Citation, Evidence, Hit

Q_OK = EvalQuestion("a", "Who?", ("Meredov",), ("x.txt",), True)
Q_NO = EvalQuestion("b", "Capital?", (), (), False)


def _answer(text, abstained=False, cited=(), retrieved=(), seconds=1.0):
    hits = tuple(Hit(Chunk(i, s, "t", 0, 1, 1, 1), 0.5) for i, s in enumerate(retrieved))
    cites = tuple(Citation(s, 1, 1, "q", 0.5) for s in cited)
    return Answer("?", text, abstained, cites, hits, seconds=seconds)


def test_metrics_count_what_they_say():
    results = [
        EvalResult(Q_OK, _answer("Rashid MEREDOV", cited=["x.txt", "y.txt"], retrieved=["x.txt", "z.txt"], seconds=1)),
        EvalResult(Q_OK, _answer("Someone else", cited=["sub/x.txt"], retrieved=["z.txt"], seconds=2)),
        EvalResult(Q_NO, _answer("I could not find it.", abstained=True, seconds=3)),
        EvalResult(Q_NO, _answer("Astana", seconds=4)),
    ]
    s = summarize(results, top_k=4)
    assert s["answer_accuracy"] == 0.5
    assert s["source_recall_at_4"] == 0.5
    assert s["citation_precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["abstention_unanswerable"] == 0.5
    assert s["false_abstention_answerable"] == 0.0
    assert (s["latency_p50_s"], s["latency_p95_s"]) == (2.0, 4.0)
    assert [r.correct for r in results] == [True, False, True, False]


def test_percentile_nearest_rank():
    assert percentile([5.0], 95) == 5.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0


@pytest.mark.parametrize("row,message", [
    ({"question": "Who?", "answers": "Tashkent", "answerable": True}, "list of non-empty strings"),
    ({"question": "   ", "answers": ["x"]}, "non-empty text"),
    ({"question": "Who?", "answers": [], "answerable": True}, "at least one expected answer"),
    ({"question": "Who?", "answers": ["x"], "answerable": "yes"}, "true or false"),
    ({"answers": ["x"]}, "question"),
])
def test_bad_question_lines_name_the_line_and_the_problem(tmp_path, row, message):
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"question": "Fine?", "answers": ["ok"]}) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(ConfigError, match=rf"qa.jsonl:2 .*{message}"):
        load_questions(path)


def test_the_seed_question_file_loads():
    from pathlib import Path

    questions = load_questions(Path(__file__).parent / "data" / "seeds_qa.jsonl")
    assert len(questions) == 9 and sum(not q.answerable for q in questions) == 2


def test_ranking_exact_match_f1_and_abstention_precision():
    results = [
        EvalResult(Q_OK, _answer("Meredov"), ranking=("nothing", "Rashid Meredov is minister")),
        EvalResult(Q_OK, _answer("the minister Meredov"), ranking=("no",) * 10),
        EvalResult(Q_OK, _answer("I could not find it.", abstained=True), ranking=("Meredov",)),
        EvalResult(Q_NO, _answer("I could not find it.", abstained=True)),
        EvalResult(Q_NO, _answer("Astana")),
    ]
    s = summarize(results, top_k=4)
    assert [r.hit_rank for r in results[:3]] == [2, None, 1]
    assert s["retrieval_recall_at_1"] == pytest.approx(1 / 3, abs=1e-4)
    assert s["retrieval_recall_at_5"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["retrieval_mrr"] == pytest.approx((1 / 2 + 1) / 3, abs=1e-4)
    assert s["exact_match"] == pytest.approx(1 / 3, abs=1e-4)  # an abstention scores 0
    assert s["f1"] == pytest.approx((1 + 2 / 3) / 3, abs=1e-4)  # "minister meredov" vs "meredov": P 1/2, R 1
    assert s["abstention_precision"] == 0.5 and s["abstention_recall"] == 0.5


def test_without_rankings_retrieval_metrics_are_not_made_up():
    s = summarize([EvalResult(Q_OK, _answer("Meredov"))], top_k=4)
    assert s["retrieval_recall_at_5"] is None and s["retrieval_mrr"] is None


# --- whole-token answer matching -------------------------------------------------------

@pytest.mark.parametrize("text,answer", [
    ("in the 10th and\n11th centuries", "10th and 11th centuries"),  # across a line break
    ("It took 10 days.", "10"),
    ("The NORMANS came", "normans"),
    ("files ending in .gz, mostly", ".gz"),
    ("pass -v to see more", "-v"),
    ("(Rollo)", "Rollo"),
    ("Rollo's men", "Rollo"),
    ("10", "10"),
])
def test_answers_are_found_as_whole_tokens(text, answer):
    assert contains_answer(text, [answer])


@pytest.mark.parametrize("text,answer", [
    ("1024 bytes", "10"),
    ("a tar.gz file", ".gz"),
    ("--verbose", "-v"),
    ("set --verbose", "-v"),
    ("the Normans", "Norman"),
    ("about 10.5 km", "10"),
    ("1,000,000 people", "1,000"),
    ("snake_case", "case"),
    ("a/b/-v", "-v"),
])
def test_answers_inside_longer_tokens_are_not_found(text, answer):
    assert not contains_answer(text, [answer])


def test_a_later_whole_token_occurrence_still_counts():
    assert contains_answer("1024 bytes, 10 files", ["10"])
    assert first_hit_rank(["1024 bytes", "version 10"], ["10"]) == 2


# --- wrong answers and evidence@1 --------------------------------------------------------

Q_TEN = EvalQuestion("t", "How many?", ("10",), ("x.txt",), True)


def _evidence(*quotes):
    return tuple(Evidence("x.txt", 1, 1, q, 0.5) for q in quotes)


def test_wrong_means_answered_without_the_answer_and_never_an_abstention():
    right = EvalResult(Q_TEN, Answer("?", "10 files", False))
    inside_a_number = EvalResult(Q_TEN, Answer("?", "1024 files", False))
    abstained = EvalResult(Q_TEN, Answer("?", "I could not find it.", True))
    answered_unanswerable = EvalResult(Q_NO, Answer("?", "Astana", False))
    abstained_unanswerable = EvalResult(Q_NO, Answer("?", "I could not find it.", True))
    assert (right.correct, right.wrong) == (True, False)
    assert (inside_a_number.correct, inside_a_number.wrong) == (False, True)
    assert (abstained.correct, abstained.wrong) == (False, False)
    assert (answered_unanswerable.correct, answered_unanswerable.wrong) == (False, True)
    assert (abstained_unanswerable.correct, abstained_unanswerable.wrong) == (True, False)


def test_evidence_at_1_looks_at_the_first_quote_only():
    first_holds = Answer("?", "1024", False, evidence=_evidence("There were 10 files.", "Nothing."), kind="evidence")
    second_holds = Answer("?", "10", False, evidence=_evidence("There were 1024 files.", "10 files."), kind="short")
    assert EvalResult(Q_TEN, first_holds).evidence_at_1 is True
    assert EvalResult(Q_TEN, first_holds).wrong is True  # the text is judged, not the evidence
    assert EvalResult(Q_TEN, second_holds).evidence_at_1 is False
    assert EvalResult(Q_TEN, Answer("?", "10", False)).evidence_at_1 is False  # no evidence at all
    assert EvalResult(Q_NO, first_holds).evidence_at_1 is None


LEGACY_KEYS = {"questions", "answerable", "unanswerable", "answer_accuracy", "source_recall_at_4",
               "citation_precision", "citations", "abstention_unanswerable", "false_abstention_answerable",
               "latency_p50_s", "latency_p95_s", "retrieval_recall_at_1", "retrieval_recall_at_5",
               "retrieval_recall_at_10", "retrieval_mrr", "exact_match", "f1", "abstention_precision",
               "abstention_recall"}


def test_summary_adds_wrong_evidence_and_kinds_and_keeps_every_old_key():
    results = [
        EvalResult(Q_TEN, Answer("?", "10", False, evidence=_evidence("10 files"), kind="short")),
        EvalResult(Q_TEN, Answer("?", "1024", False, evidence=_evidence("1024 files"), kind="evidence")),
        EvalResult(Q_TEN, Answer("?", "Some files: 10 of them.", False, evidence=_evidence("10 of them"),
                                 kind="summary")),
        EvalResult(Q_TEN, Answer("?", "I could not find it.", True)),  # no kind: an abstention
        EvalResult(Q_NO, Answer("?", "Astana", False)),  # no kind: a short answer
        EvalResult(Q_NO, Answer("?", "I could not find it.", True, kind="abstained")),
        EvalResult(Q_NO, Answer("?", "I could not find it.", True, kind="abstained")),
    ]
    s = summarize(results, top_k=4)
    assert LEGACY_KEYS <= s.keys()
    assert s["answer_accuracy"] == 0.5
    assert s["wrong_answerable"] == 0.25
    assert s["wrong_unanswerable"] == pytest.approx(1 / 3, abs=1e-4)
    assert s["evidence_at_1"] == 0.5
    assert s["kinds"] == {"short": 2, "evidence": 1, "summary": 1, "abstained": 3}
    lines = format_summary(s).splitlines()
    assert re.match(r"answer_accuracy\s+50\.0%", lines[3]) and re.match(r"wrong_answerable\s+25\.0%", lines[4])
    assert "kinds" in lines[-1] and "abstained 3" in lines[-1]
    table = format_table(results, s).splitlines()
    assert "WRONG" in table[2] and "WRONG" not in table[1] and "evidence" in table[2]


# --- splits ------------------------------------------------------------------------------

def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_split_and_kind_are_kept_and_one_split_can_be_chosen(tmp_path):
    path = _write(tmp_path / "qa.jsonl", [
        {"id": "1", "question": "A?", "answers": ["a"], "split": "dev", "kind": "factoid"},
        {"id": "2", "question": "B?", "answers": ["b"], "split": "test"},
        {"id": "3", "question": "C?", "answers": ["c"]},
        {"id": "4", "question": "D?", "answerable": False, "split": "test", "kind": "offtopic"},
    ])
    questions = load_questions(path)
    assert [(q.split, q.kind) for q in questions] == [("dev", "factoid"), ("test", None), (None, None),
                                                     ("test", "offtopic")]
    assert [q.id for q in select_split(questions, "test")] == ["2", "4"]
    with pytest.raises(ConfigError, match=r"split 'train'.*splits present are: dev, test"):
        select_split(questions, "train")
    with pytest.raises(ConfigError, match=r'no "split" field'):
        select_split(questions[2:3], "dev")


def test_a_bad_split_value_names_the_line(tmp_path):
    path = _write(tmp_path / "qa.jsonl", [{"question": "A?", "answers": ["a"], "split": 3}])
    with pytest.raises(ConfigError, match=r'qa.jsonl:1 .*"split" must be non-empty text'):
        load_questions(path)


# --- the evaluation loop -----------------------------------------------------------------

def test_evaluate_asks_every_question_and_ranks_the_answerable_ones():
    questions = [Q_TEN, EvalQuestion("m", "Minister?", ("Meredov",), ("x.txt",), True), Q_NO]
    assistant = ScriptedAssistant(
        answers={"How many?": Answer("How many?", "1024", False, evidence=_evidence("10 files")),
                 "Minister?": Answer("Minister?", "Rashid Meredov", False)},
        passages={"How many?": ["1024 bytes", "10 files"], "Minister?": ["Meredov"] + ["x"] * 20},
        top_k=3)
    seen = []
    results, summary = evaluate(assistant, questions, progress=lambda *args: seen.append(args))
    assert assistant.asked == ["How many?", "Minister?", "Capital?"]
    assert assistant.searched == [("How many?", RANKING_DEPTH), ("Minister?", RANKING_DEPTH)]
    assert [r.question.id for r in results] == ["t", "m", "b"]
    assert [r.hit_rank for r in results[:2]] == [2, 1] and len(results[1].ranking) == RANKING_DEPTH
    assert [(done, total, r.question.id) for done, total, r in seen] == [(1, 3, "t"), (2, 3, "m"), (3, 3, "b")]
    assert all(isinstance(r, EvalResult) for *_, r in seen)
    assert (summary["answer_accuracy"], summary["wrong_answerable"], summary["evidence_at_1"]) == (0.5, 0.5, 0.5)
    assert summary["abstention_unanswerable"] == 1.0 and summary["wrong_unanswerable"] == 0.0
    assert summary["retrieval_recall_at_1"] == 0.5 and summary["retrieval_mrr"] == 0.75
    assert "source_recall_at_3" in summary  # the assistant's own top_k names it


def test_evaluate_retrieval_only_never_asks_and_skips_unanswerable_questions():
    assistant = ScriptedAssistant(answers={}, passages={"How many?": ["none", "none", "it was 10"]})
    results, summary = evaluate(assistant, [Q_TEN, Q_NO], retrieval_only=True)
    assert assistant.asked == [] and assistant.searched == [("How many?", RANKING_DEPTH)]
    assert [(r.question.id, r.answer, r.hit_rank) for r in results] == [("t", None, 3)]
    assert results[0].to_dict()["hit_rank"] == 3
    assert summary == {"questions": 2, "answerable": 1, "retrieval_recall_at_1": 0.0,
                       "retrieval_recall_at_5": 1.0, "retrieval_recall_at_10": 1.0,
                       "retrieval_mrr": pytest.approx(1 / 3, abs=1e-4)}
