"""Score the assistant on a question set (JSON lines, as in shared/eval/seeds_qa.jsonl).

Each line: {"id", "question", "answers": [...], "sources": [...], "answerable": bool}.
Reading the file and scoring are separate from asking, so the metrics are pure functions
of the answers and can be tested without a model (the formulas are in scoring.py).

Retrieval is scored on answerable questions from the top RANKING_DEPTH passages: a hit is
a passage that contains an expected answer. Answers are scored by containment (the
seed set's rule), and by SQuAD's exact match and token F1 on answerable questions (an
abstention scores 0). Abstention is scored as a prediction of "unanswerable".
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .scoring import (contains_answer, exact_match, first_hit_rank, mean_reciprocal_rank,
                      precision_recall, recall_at, token_f1)
from .types import Answer

RANKING_DEPTH = 10  # passages retrieved per question for recall@1/5/10 and MRR


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    sources: tuple[str, ...]
    answerable: bool


@dataclass(frozen=True)
class EvalResult:
    question: EvalQuestion
    answer: Answer
    ranking: tuple[str, ...] = ()  # texts of the top RANKING_DEPTH passages, best first

    @property
    def correct(self) -> bool:
        if not self.question.answerable:
            return self.answer.abstained
        return not self.answer.abstained and contains_answer(self.answer.text, self.question.answers)

    @property
    def hit_rank(self) -> int | None:
        """Rank of the first retrieved passage holding an expected answer (None: not found)."""
        return first_hit_rank(list(self.ranking), self.question.answers)

    @property
    def exact_match(self) -> float:
        return 0.0 if self.answer.abstained else exact_match(self.answer.text, self.question.answers)

    @property
    def f1(self) -> float:
        return 0.0 if self.answer.abstained else token_f1(self.answer.text, self.question.answers)

    @property
    def retrieved_sources(self) -> list[str]:
        return list(dict.fromkeys(h.chunk.source for h in self.answer.hits))

    def source_recall(self) -> float:
        expected = self.question.sources
        found = sum(any(_same_file(s, e) for s in self.retrieved_sources) for e in expected)
        return found / len(expected) if expected else 1.0

    def cited_correctly(self) -> list[bool]:
        return [any(_same_file(c.source, e) for e in self.question.sources) for c in self.answer.citations]

    def to_dict(self) -> dict:
        return {
            "id": self.question.id,
            "question": self.question.question,
            "answerable": self.question.answerable,
            "correct": self.correct,
            "exact_match": self.exact_match if self.question.answerable else None,
            "f1": round(self.f1, 4) if self.question.answerable else None,
            "hit_rank": self.hit_rank if self.question.answerable and self.ranking else None,
            "answer": self.answer.text,
            "abstained": self.answer.abstained,
            "reason": self.answer.reason,
            "retrieved_sources": self.retrieved_sources,
            "cited_sources": [c.source for c in self.answer.citations],
            "seconds": round(self.answer.seconds, 3),
        }


def _same_file(source: str, expected: str) -> bool:
    return source == expected or source.endswith("/" + expected)


def load_questions(path: str | Path) -> list[EvalQuestion]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"question file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"question file {str(path)!r} is unreadable: {exc}") from None
    questions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            questions.append(_parse_question(json.loads(line), number))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"{path}:{number} is not a question line ({exc}); each line must be a JSON "
                f'object with a non-empty "question", and lists of strings "answers" and '
                f'"sources", and true or false "answerable"'
            ) from None
    if not questions:
        raise ConfigError(f"question file {str(path)!r} holds no questions")
    return questions


def _parse_question(row: dict, number: int) -> EvalQuestion:
    if not isinstance(row, dict) or "question" not in row:
        raise ValueError('the "question" field is missing')
    question = row["question"]
    if not isinstance(question, str) or not question.strip():
        raise ValueError('"question" must be non-empty text')
    lists = {}
    for key in ("answers", "sources"):
        value = row.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f'"{key}" must be a list of non-empty strings, not {value!r}')
        lists[key] = tuple(value)
    answerable = row.get("answerable", True)
    if not isinstance(answerable, bool):
        raise ValueError(f'"answerable" must be true or false, not {answerable!r}')
    if answerable and not lists["answers"]:
        raise ValueError('an answerable question needs at least one expected answer')
    return EvalQuestion(str(row.get("id", number)), question, lists["answers"], lists["sources"], answerable)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([1.0, 2.0, 3.0, 4.0], 95)
    (2.0, 4.0)
    """
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def summarize(results: list[EvalResult], top_k: int) -> dict:
    answerable = [r for r in results if r.question.answerable]
    unanswerable = [r for r in results if not r.question.answerable]
    cited = [ok for r in answerable for ok in r.cited_correctly()]
    latencies = [r.answer.seconds for r in results]
    abstain_precision, abstain_recall = precision_recall(
        [r.answer.abstained for r in results], [not r.question.answerable for r in results])
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answer_accuracy": _ratio(sum(r.correct for r in answerable), len(answerable)),
        f"source_recall_at_{top_k}": _ratio(sum(r.source_recall() for r in answerable), len(answerable)),
        "citation_precision": _ratio(sum(cited), len(cited)),
        "citations": len(cited),
        "abstention_unanswerable": _ratio(sum(r.answer.abstained for r in unanswerable), len(unanswerable)),
        "false_abstention_answerable": _ratio(sum(r.answer.abstained for r in answerable), len(answerable)),
        "latency_p50_s": round(percentile(latencies, 50), 3),
        "latency_p95_s": round(percentile(latencies, 95), 3),
        **retrieval_summary([r.hit_rank for r in answerable if r.ranking]),
        "exact_match": _ratio(sum(r.exact_match for r in answerable), len(answerable)),
        "f1": _ratio(sum(r.f1 for r in answerable), len(answerable)),
        "abstention_precision": None if abstain_precision is None else round(abstain_precision, 4),
        "abstention_recall": None if abstain_recall is None else round(abstain_recall, 4),
    }


def retrieval_summary(ranks: list[int | None]) -> dict:
    """recall@1/5/10 and MRR from each answerable question's first-hit rank (None: missed)."""
    def measured(value: float) -> float | None:
        return round(value, 4) if ranks else None

    return {
        "retrieval_recall_at_1": measured(recall_at(ranks, 1)),
        "retrieval_recall_at_5": measured(recall_at(ranks, 5)),
        "retrieval_recall_at_10": measured(recall_at(ranks, 10)),
        "retrieval_mrr": measured(mean_reciprocal_rank(ranks)),
    }


def _ratio(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def format_summary(summary: dict) -> str:
    """The summary as aligned `key  value` lines (ratios as percentages)."""
    width = max(len(k) for k in summary)
    rows = []
    for key, value in summary.items():
        if value is None:
            shown = "n/a"
        elif key == "retrieval_mrr":
            shown = f"{value:.3f}"
        elif isinstance(value, float) and not key.startswith("latency"):
            shown = f"{value:.1%}"
        else:
            shown = value
        rows.append(f"{key:{width}}  {shown}")
    return "\n".join(rows)


def format_table(results: list[EvalResult], summary: dict) -> str:
    rows = [f"{'id':8} {'ok':3} {'abst':4} {'sec':>5}  answer  [cited]"]
    for r in results:
        cited = ", ".join(dict.fromkeys(c.source for c in r.answer.citations))
        text = r.answer.text if len(r.answer.text) <= 60 else r.answer.text[:57] + "..."
        rows.append(f"{r.question.id:8} {'yes' if r.correct else 'NO':3} "
                    f"{'yes' if r.answer.abstained else 'no':4} {r.answer.seconds:5.2f}  {text}  [{cited}]")
    rows.append("")
    return "\n".join(rows) + "\n" + format_summary(summary)
