"""The committed evaluation sets stay consistent: answers in their sources, splits, counts."""
import doctest
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import check_realdocs  # noqa: E402


def test_realdocs_questions_check():
    assert check_realdocs.check_rows(check_realdocs.load(check_realdocs.QUESTIONS)) == []


def test_offtopic_questions_check():
    assert check_realdocs.check_offtopic(check_realdocs.load(check_realdocs.OFFTOPIC)) == []


def test_answer_matching_is_whole_token():
    assert doctest.testmod(check_realdocs).failed == 0
