import json

import pytest

from rag.errors import ConfigError
from rag.evaluation import EvalQuestion, EvalResult, load_questions, percentile, summarize
from rag.types import Answer, Chunk, Citation, Hit

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
