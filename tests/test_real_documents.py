"""The real models on a small sample of real documents (four manual pages), end to end.

What is asserted is the product's promise, which holds on any llama.cpp build: no wrong
answer (each reply is right, or abstains), every quote is the file's own text, and a
question about an option the manual doesn't have abstains. Slow: real models.
"""
import json
import shutil
from pathlib import Path

import pytest

from rag import Assistant
from rag.citations import quote_in_file
from rag.evaluation import EvalQuestion, evaluate

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "benchmarks" / "data"
FILES = ["man_timeout.txt", "man_tar.txt", "man_seq.txt", "man_head.txt"]
IDS = ["timeout-1", "timeout-2", "timeout-3", "timeout-4", "tar-2", "head-3", "seq-2", "unanswerable-01"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    work = tmp_path_factory.mktemp("realdocs")
    (work / "docs").mkdir()
    for name in FILES:
        shutil.copy(SET / "realdocs" / name, work / "docs" / name)
    rows = {r["id"]: r for r in map(json.loads, (SET / "realdocs_qa.jsonl").read_text().splitlines())}
    questions = [EvalQuestion(i, rows[i]["question"], tuple(rows[i]["answers"]), tuple(rows[i]["sources"]),
                              rows[i]["answerable"]) for i in IDS]
    return work, questions


def test_real_documents_no_wrong_answer_and_quotes_from_the_files(sample):
    work, questions = sample
    assistant = Assistant.open(work / "docs", work / "index")
    results, summary = evaluate(assistant, questions)
    wrong = [(r.question.id, r.answer.text) for r in results if r.wrong]
    assert wrong == [], f"wrong answers on this build: {wrong}"
    assert summary["answer_accuracy"] >= 3 / 7, summary
    for r in results:
        for e in r.answer.evidence:
            text = (work / "docs" / e.source).read_text(encoding="utf-8")
            assert text[e.start_char:e.end_char] == e.quote
        for c in r.answer.citations:
            assert quote_in_file(c, (work / "docs" / c.source).read_text(encoding="utf-8"))
    turbo = next(r for r in results if r.question.id == "unanswerable-01")
    assert turbo.answer.abstained, "an option the manual doesn't have"
