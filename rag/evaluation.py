"""Score the assistant on a question set (JSON lines, as in tests/data/seeds_qa.jsonl).

Each line: {"id", "question", "answers": [...], "sources": [...], "answerable": bool},
optionally "split" (e.g. "dev" or "test") and "kind" (what sort of question it is).
`evaluate` is the one loop that asks the questions (the CLI and the benchmarks call it);
everything else is a pure function of the answers, testable without a model (the
formulas are in scoring.py).

Retrieval is scored on answerable questions from the top RANKING_DEPTH passages: a hit is
a passage that contains an expected answer. Answers are scored by containment as whole
tokens (the seed set's rule), and by SQuAD's exact match and token F1 on answerable
questions (an abstention scores 0). An answer is *wrong* when it is given and does not
hold an expected answer, or is given at all to an unanswerable question: what costs
trust, where an abstention only costs coverage. Abstention is scored as a prediction of
"unanswerable". This module does not judge answers with a model.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .scoring import (
    contains_answer,
    exact_match,
    first_hit_rank,
    mean_reciprocal_rank,
    precision_recall,
    recall_at,
    token_f1,
)
from .types import ABSTAINED, EVIDENCE, SHORT, SUMMARY, Answer

RANKING_DEPTH = 10  # passages retrieved per question for recall@1/5/10 and MRR


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    sources: tuple[str, ...]
    answerable: bool
    split: str | None = None  # e.g. "dev" (tune on it) or "test" (report on it)
    kind: str | None = None  # what sort of question, as the file labels it


@dataclass(frozen=True)
class EvalResult:
    """One question and what the assistant made of it.

    `answer` is None when only retrieval was scored (`evaluate(..., retrieval_only=True)`):
    then only `ranking` and `hit_rank` mean anything.
    """

    question: EvalQuestion
    answer: Answer | None
    ranking: tuple[str, ...] = ()  # texts of the top RANKING_DEPTH passages, best first

    @property
    def correct(self) -> bool:
        if not self.question.answerable:
            return self.answer.abstained
        return not self.answer.abstained and contains_answer(self.answer.text, self.question.answers)

    @property
    def wrong(self) -> bool:
        """An answer given that should not have been: it lacks every expected answer, or
        the question has none. An abstention is never wrong (only unhelpful)."""
        return not self.answer.abstained and not self.correct

    @property
    def evidence_at_1(self) -> bool | None:
        """Whether the first evidence quote holds an expected answer (None: unanswerable)."""
        if not self.question.answerable:
            return None
        evidence = self.answer.evidence
        return bool(evidence) and contains_answer(evidence[0].quote, self.question.answers)

    @property
    def answer_kind(self) -> str:
        """SHORT, EVIDENCE, SUMMARY or ABSTAINED; an answer that doesn't say is short or
        abstained (what answers were before kinds existed)."""
        return self.answer.kind or (ABSTAINED if self.answer.abstained else SHORT)

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
        q = self.question
        labels = {"split": q.split, "question_kind": q.kind}
        if self.answer is None:  # retrieval only
            return {"id": q.id, "question": q.question, "answerable": q.answerable,
                    "hit_rank": self.hit_rank if q.answerable else None, **labels}
        return {
            "id": q.id,
            "question": q.question,
            "answerable": q.answerable,
            "correct": self.correct,
            "exact_match": self.exact_match if q.answerable else None,
            "f1": round(self.f1, 4) if q.answerable else None,
            "hit_rank": self.hit_rank if q.answerable and self.ranking else None,
            "answer": self.answer.text,
            "abstained": self.answer.abstained,
            "reason": self.answer.reason,
            "retrieved_sources": self.retrieved_sources,
            "cited_sources": [c.source for c in self.answer.citations],
            "seconds": round(self.answer.seconds, 3),
            "wrong": self.wrong,
            "evidence_at_1": self.evidence_at_1,
            "kind": self.answer_kind,
            "short_answer": self.answer.short_answer,
            **labels,
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
                f'"sources", true or false "answerable", and optionally text "split" and "kind"'
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
    labels = {}
    for key in ("split", "kind"):
        value = row.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f'"{key}" must be non-empty text, not {value!r}')
        labels[key] = value
    return EvalQuestion(str(row.get("id", number)), question, lists["answers"], lists["sources"], answerable,
                        **labels)


def select_split(questions: Sequence[EvalQuestion], split: str) -> list[EvalQuestion]:
    """The questions of one split; a split that matches none is an error naming those present.

    >>> qs = [EvalQuestion("1", "?", ("a",), (), True, split="dev"), EvalQuestion("2", "?", ("b",), (), True)]
    >>> [q.id for q in select_split(qs, "dev")]
    ['1']
    >>> select_split(qs, "test")
    Traceback (most recent call last):
    ...
    rag.errors.ConfigError: no question is in split 'test'; the splits present are: dev
    """
    chosen = [q for q in questions if q.split == split]
    if not chosen:
        present = sorted({q.split for q in questions if q.split})
        raise ConfigError(f"no question is in split {split!r}; " + (
            f"the splits present are: {', '.join(present)}" if present
            else 'the questions have no "split" field, so leave out --split'))
    return chosen


Progress = Callable[[int, int, "EvalResult"], None]


def evaluate(assistant, questions: Sequence[EvalQuestion], *, retrieval_only: bool = False,
             progress: Progress | None = None) -> tuple[list[EvalResult], dict]:
    """Ask every question and score the answers: the one evaluation loop.

    `assistant` needs `.search(question, k) -> [Hit]`, `.ask(question) -> Answer` and
    `.settings.retrieval.top_k` (an `Assistant`, or a fake). Answerable questions are also
    searched RANKING_DEPTH deep, for the retrieval metrics. With `retrieval_only`, only the
    answerable questions are searched and nothing is asked (the results have no answer, the
    summary only retrieval metrics). `progress(done, total, result)` is called after each.
    """
    asked = [q for q in questions if q.answerable or not retrieval_only]
    results = []
    for q in asked:
        ranking = tuple(h.chunk.text for h in assistant.search(q.question, RANKING_DEPTH)) if q.answerable else ()
        results.append(EvalResult(q, None if retrieval_only else assistant.ask(q.question), ranking))
        if progress is not None:
            progress(len(results), len(asked), results[-1])
    if retrieval_only:
        return results, {"questions": len(questions), "answerable": len(asked),
                         **retrieval_summary([r.hit_rank for r in results])}
    return results, summarize(results, assistant.settings.retrieval.top_k)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([1.0, 2.0, 3.0, 4.0], 95)
    (2.0, 4.0)
    """
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


KINDS = (SHORT, EVIDENCE, SUMMARY, ABSTAINED)


def summarize(results: list[EvalResult], top_k: int) -> dict:
    """The figures of a run. `wrong_answerable` (answered, but wrongly) is the one that
    costs trust; `wrong_unanswerable` is the share of unanswerable questions answered."""
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
        "wrong_answerable": _ratio(sum(r.wrong for r in answerable), len(answerable)),
        "evidence_at_1": _ratio(sum(r.evidence_at_1 for r in answerable), len(answerable)),
        f"source_recall_at_{top_k}": _ratio(sum(r.source_recall() for r in answerable), len(answerable)),
        "citation_precision": _ratio(sum(cited), len(cited)),
        "citations": len(cited),
        "abstention_unanswerable": _ratio(sum(r.answer.abstained for r in unanswerable), len(unanswerable)),
        "wrong_unanswerable": _ratio(sum(r.wrong for r in unanswerable), len(unanswerable)),
        "false_abstention_answerable": _ratio(sum(r.answer.abstained for r in answerable), len(answerable)),
        "latency_p50_s": round(percentile(latencies, 50), 3),
        "latency_p95_s": round(percentile(latencies, 95), 3),
        **retrieval_summary([r.hit_rank for r in answerable if r.ranking]),
        "exact_match": _ratio(sum(r.exact_match for r in answerable), len(answerable)),
        "f1": _ratio(sum(r.f1 for r in answerable), len(answerable)),
        "abstention_precision": None if abstain_precision is None else round(abstain_precision, 4),
        "abstention_recall": None if abstain_recall is None else round(abstain_recall, 4),
        "kinds": {kind: sum(r.answer_kind == kind for r in results) for kind in KINDS},
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
