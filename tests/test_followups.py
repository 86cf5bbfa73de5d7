"""Follow-ups and topic changes, scored on the hand-written turns of tests/data/followups.jsonl
(the same scoring as benchmarks/bench_followups.py, which prints each turn)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_followups import load_turns, previous_answer, score  # noqa: E402
from rag.conversation import rewrite_followup  # noqa: E402

TURNS = load_turns()


@pytest.mark.parametrize("turn", [t for t in TURNS if t["split"] == "dev"], ids=lambda t: t["id"])
def test_dev_turn_is_searched_as_meant(turn):
    ok, searched = score(turn, rewrite_followup)
    assert ok, f"{turn['question']!r} after {turn['previous']['question']!r} was searched as {searched!r}"


def test_turns_written_after_the_rules_mostly_hold():
    """Turns the rules were not written for: 9 of 12 when this was written (docs/chat.md);
    the three misses need knowledge the rules don't have (what "bytes" is, an implied
    object)."""
    held_out = [t for t in TURNS if t["split"] == "test"]
    right = sum(score(t, rewrite_followup)[0] for t in held_out)
    assert right >= 9, f"{right} of {len(held_out)}"


def test_a_topic_change_is_never_a_run_on_question():
    """Whatever the previous turn, a question that names its own subject after a comma is
    searched as that question alone."""
    for turn in TURNS:
        searched = rewrite_followup("what about tail, how many lines does it print?",
                                    [previous_answer(turn)])
        assert searched == "How many lines does tail print?"
