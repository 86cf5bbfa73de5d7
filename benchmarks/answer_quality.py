"""Answer quality per question set and split, for bench_quality.py.

The sets: the SQuAD 2.0 sample (a fixed sample per split), a set of questions about real
documents (benchmarks/data/realdocs_qa.jsonl over benchmarks/data/realdocs, when present)
and off-topic questions (benchmarks/data/offtopic_qa.jsonl: every one must be abstained
on), each asked against the corpus its line names in "corpus" ("squad" or "realdocs",
the default). Every set is asked through rag.evaluation.evaluate, and dev and test are
reported separately: choices are tuned on dev, so only test says how well they carry over.

This module only gathers and lays out figures; the scoring is rag.evaluation's.
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from rag.evaluation import EvalQuestion, EvalResult, evaluate, load_questions, retrieval_summary, summarize

SPLITS = ("dev", "test")
CORPORA = ("squad", "realdocs")  # what an off-topic line's "corpus" may name
DEFAULT_CORPUS = "realdocs"


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def split_samples(questions: list[EvalQuestion], answerable: int, seed: int = 13) -> list[EvalQuestion]:
    """Per split, a fixed random sample of `answerable` answerable questions and as many
    unanswerable ones (each split drawn with its own generator, so the test sample is the
    same whether or not dev is sampled too)."""
    sample = []
    for split in SPLITS:
        rng = random.Random(seed)
        for wanted in (True, False):
            pool = [q for q in questions if q.split == split and q.answerable is wanted]
            sample += rng.sample(pool, min(answerable, len(pool)))
    return sample


def answered_correct_share(results: list[EvalResult]) -> float | None:
    """Of the answerable questions it answered, the share answered right."""
    answered = [r for r in results if r.question.answerable and not r.answer.abstained]
    return round(sum(r.correct for r in answered) / len(answered), 4) if answered else None


def by_split(results: list[EvalResult], top_k: int, retrieval_only: bool = False) -> dict[str, dict]:
    """The summary of each split present (questions without one: "unsplit"), and of all."""
    groups: dict[str, list[EvalResult]] = {}
    for r in results:
        groups.setdefault(r.question.split or "unsplit", []).append(r)
    groups = {name: groups[name] for name in sorted(groups, key=lambda s: (s not in SPLITS, s))}
    if len(groups) > 1:
        groups["all"] = results

    def summary(rs: list[EvalResult]) -> dict:
        if retrieval_only:
            return {"answerable": len(rs), **retrieval_summary([r.hit_rank for r in rs])}
        return summarize(rs, top_k) | {"answered_correct_share": answered_correct_share(rs)}

    return {name: summary(rs) for name, rs in groups.items()}


def progress_every(n: int, label: str):
    def report(done: int, total: int, result: EvalResult) -> None:
        if done % n == 0 or done == total:
            log(f"{label}: {done}/{total}")
    return report


def ask_set(assistant, questions: list[EvalQuestion], label: str, retrieval_only: bool = False):
    """(results, summaries by split) of one question set, asked through `evaluate`."""
    results, _ = evaluate(assistant, questions, retrieval_only=retrieval_only, progress=progress_every(20, label))
    return results, by_split(results, assistant.settings.retrieval.top_k, retrieval_only)


def open_realdocs(questions: Path, docs: Path, index: Path):
    """(assistant, questions) for the real-documents set, or None (with the reason logged)."""
    missing = [str(p) for p in (questions, docs) if not p.exists()]
    if missing:
        log(f"real documents: skipped: {' and '.join(missing)} not found "
            "(pass --realdocs-questions FILE --realdocs-docs DIR)")
        return None
    from rag import Assistant

    return Assistant.open(docs, index), load_questions(questions)


def load_offtopic(path: Path) -> dict[str, list[EvalQuestion]]:
    """Off-topic questions grouped by the corpus they are asked against; all unanswerable
    whatever the file says, since none of them may be answered."""
    groups: dict[str, list[EvalQuestion]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        corpus = row.get("corpus", DEFAULT_CORPUS)
        if corpus not in CORPORA:
            raise SystemExit(f"{path}:{number}: corpus {corpus!r} is unknown; use one of {', '.join(CORPORA)}")
        groups.setdefault(corpus, []).append(EvalQuestion(
            str(row.get("id", number)), row["question"], (), (), False, split=row.get("split"),
            kind=row.get("kind", "offtopic")))
    return groups


def ask_offtopic(path: Path, assistants: dict) -> tuple[list[EvalResult], dict]:
    """Each corpus's off-topic questions asked against it; a summary per corpus and of all."""
    if not path.exists():
        log(f"off-topic: skipped: {path} not found")
        return [], {}
    results, summaries = [], {}
    for corpus, questions in load_offtopic(path).items():
        if assistants.get(corpus) is None:
            log(f"off-topic: {len(questions)} questions for the {corpus} corpus skipped: it is not loaded")
            continue
        asked, _ = evaluate(assistants[corpus], questions, progress=progress_every(20, f"off-topic, {corpus}"))
        results += asked
        summaries[corpus] = summarize(asked, assistants[corpus].settings.retrieval.top_k)
    if len(summaries) > 1:
        top_k = next(a for a in assistants.values() if a is not None).settings.retrieval.top_k
        summaries["all"] = summarize(results, top_k)
    return results, summaries


def markdown_rows(sets: dict[str, dict[str, dict]]) -> list[str]:
    """One table: per set and split, accuracy and wrong answers side by side."""
    lines = ["| answers, default model | questions | accuracy | wrong | evidence@1 | abstains, unanswerable "
             "| answers unanswerable | abstains, answerable |", "|---|---|---|---|---|---|---|---|"]
    for name, splits in sets.items():
        for split, s in splits.items():
            if "answer_accuracy" not in s:  # retrieval only
                continue
            lines.append(f"| {name}, {split} | {s['answerable']} + {s['unanswerable']} | "
                         f"{percent(s['answer_accuracy'])} | {percent(s['wrong_answerable'])} | "
                         f"{percent(s['evidence_at_1'])} | {percent(s['abstention_unanswerable'])} | "
                         f"{percent(s['wrong_unanswerable'])} | {percent(s['false_abstention_answerable'])} |")
    return lines


def percent(value) -> str:
    return "n/a" if value is None else f"{value:.1%}"
