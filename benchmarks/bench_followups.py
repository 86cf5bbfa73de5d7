"""How well follow-ups are made to stand alone, on a set of turns written by hand.

Each turn of tests/data/followups.jsonl (split "dev": written with the rules; "test": written
after them, to see how they hold up on turns they were not made for) has the previous question and its short answer
(and the file it came from), the next question, and what the question actually searched
must and must not contain: a follow-up ("and tail?") takes what it needs from the previous
turn; a question that names a new subject ("what about tail, how many lines does it
print?" after a question about kill) is not merged into the previous one.

    .venv/bin/python benchmarks/bench_followups.py                       # rag/conversation.py
    .venv/bin/python benchmarks/bench_followups.py --conversation OLD.py # another version of it

No models: the rewriting is rules only (rag/conversation.py). tests/test_followups.py runs
the same scoring.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TURNS = ROOT / "tests" / "data" / "followups.jsonl"
sys.path.insert(0, str(ROOT))

from rag.types import SHORT, Answer, Evidence  # noqa: E402


def load_turns(path: Path = TURNS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def previous_answer(turn: dict) -> Answer:
    """The previous turn as the Assistant would have answered it: a short answer in its evidence."""
    p = turn["previous"]
    quote = f"... {p['answer']} ..."
    evidence = (Evidence(p["source"], 1, 1, quote, 0.9, span=(4, 4 + len(p["answer"]))),) if p.get("source") else ()
    return Answer(p["question"], p["answer"], False, evidence=evidence, short_answer=p["answer"], kind=SHORT)


def score(turn: dict, rewrite) -> tuple[bool, str]:
    """(whether the searched question passes, the searched question)."""
    searched = rewrite(turn["question"], [previous_answer(turn)])
    low = searched.lower()
    ok = all(c.lower() in low for c in turn["contains"]) and \
        not any(e.lower() in low for e in turn.get("excludes", []))
    return ok, searched


def load_rewrite(path: str | None):
    if path is None:
        from rag.conversation import rewrite_followup
        return rewrite_followup
    spec = importlib.util.spec_from_file_location("rag._conversation_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.rewrite_followup


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversation", help="a conversation.py to score instead of rag/conversation.py")
    parser.add_argument("--turns", default=str(TURNS), help="the turns (JSON lines)")
    args = parser.parse_args()
    rewrite = load_rewrite(args.conversation)
    totals: dict[str, list[int]] = {}
    for turn in load_turns(Path(args.turns)):
        ok, searched = score(turn, rewrite)
        group = f"{turn.get('split', '-')} {turn['kind']}"
        totals.setdefault(group, [0, 0])
        totals[group][0] += ok
        totals[group][1] += 1
        print(f"{turn['id']}  {'ok  ' if ok else 'FAIL'}  {turn['question']!r} -> {searched!r}")
    for group, (right, count) in sorted(totals.items()):
        print(f"{group}: {right}/{count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
