"""`rag eval`'s report for people: the per-question table and the summary lines.

Formatting only: the figures come from evaluation.summarize, and `rag eval --json` prints
them as they are, without this module.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .evaluation import EvalResult


def format_summary(summary: dict) -> str:
    """The summary as aligned `key  value` lines (ratios as percentages, counts as they are).

    >>> print(format_summary({"answer_accuracy": 0.75, "wrong_answerable": 0.125, "retrieval_mrr": 0.5,
    ...                       "latency_p50_s": 1.2, "exact_match": None, "kinds": {"short": 3, "abstained": 1}}))
    answer_accuracy   75.0%
    wrong_answerable  12.5%
    retrieval_mrr     0.500
    latency_p50_s     1.2
    exact_match       n/a
    kinds             short 3, abstained 1
    """
    width = max(len(k) for k in summary)
    rows = []
    for key, value in summary.items():
        if value is None:
            shown = "n/a"
        elif key == "retrieval_mrr":
            shown = f"{value:.3f}"
        elif isinstance(value, dict):
            shown = ", ".join(f"{name} {count}" for name, count in value.items())
        elif isinstance(value, float) and not key.startswith("latency"):
            shown = f"{value:.1%}"
        else:
            shown = value
        rows.append(f"{key:{width}}  {shown}")
    return "\n".join(rows)


def format_table(results: list[EvalResult], summary: dict) -> str:
    """One row per question, then the summary. `ok` is the question scored right (an
    abstention is right on an unanswerable question); `wrong` marks an answer that should
    not have been given; `ev@1` whether the first evidence quote holds an expected answer."""
    rows = [f"{'id':8} {'ok':3} {'wrong':5} {'ev@1':4} {'kind':9} {'sec':>5}  answer  [cited]"]
    for r in results:
        cited = ", ".join(dict.fromkeys(c.source for c in r.answer.citations))
        text = " ".join(r.answer.text.split())
        text = text if len(text) <= 60 else text[:57] + "..."
        evidence = {None: "-", True: "yes", False: "no"}[r.evidence_at_1]
        rows.append(f"{r.question.id:8} {'yes' if r.correct else 'no':3} {'WRONG' if r.wrong else '':5} "
                    f"{evidence:4} {r.answer_kind:9} {r.answer.seconds:5.2f}  {text}  [{cited}]")
    rows.append("")
    return "\n".join(rows) + "\n" + format_summary(summary)
