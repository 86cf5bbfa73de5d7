"""Answer quality on held-out questions: SQuAD 2.0 (never used to tune the prompts).

    .venv/bin/python benchmarks/bench_squad.py [--answerable 40 --unanswerable 40]

Indexes the SQuAD sample's 10 articles, asks a fixed random sample of answerable and
unanswerable questions, and scores two systems side by side in one run, on the same
retrieved passages and the same default model:

- grounded: the assistant as shipped (sentence-window reading, verified citations,
  abstention);
- raw model: one completion prompt over the same top-k chunks, answer taken as generated,
  with no check (what a tool that trusts its model would show).

SQuAD 2.0's unanswerable questions were written to look answerable from the article,
so they are much harder to abstain on than the seed set's.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from answer_quality import progress_every  # noqa: E402
from rag import Assistant  # noqa: E402
from rag.evaluation import EvalQuestion, evaluate, percentile  # noqa: E402
from rag.prompting import build_prompt  # noqa: E402
from rag.scoring import contains_answer  # noqa: E402
from squad_corpus import DEFAULT_SQUAD, load_squad, sample_questions, write_articles  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--answerable", type=int, default=40)
    parser.add_argument("--unanswerable", type=int, default=40)
    args = parser.parse_args()
    articles = load_squad(args.squad)
    rows = sample_questions(articles, args.answerable, args.unanswerable)
    questions = [EvalQuestion(r["id"], r["question"], tuple(r["answers"]), tuple(r["sources"]), r["answerable"],
                              split=r["split"]) for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        write_articles(articles, Path(tmp) / "docs")
        assistant = Assistant.open(Path(tmp) / "docs", Path(tmp) / "index")
        grounded, summary = evaluate(assistant, questions, progress=progress_every(20, "grounded"))
        generator = assistant.generator
        raw = []
        for q in questions:  # the raw model is another system: not the assistant's evaluation loop
            started = time.perf_counter()
            hits = assistant.search(q.question)
            draft = "".join(generator.generate(build_prompt(q.question, hits))).strip()
            raw.append((q, draft, time.perf_counter() - started))

    def raw_correct(q, draft):
        return contains_answer(draft, q.answers) if q.answerable else False

    answerable_raw = [(q, d) for q, d, _ in raw if q.answerable]
    raw_summary = {
        "answer_accuracy": round(sum(raw_correct(q, d) for q, d in answerable_raw) / len(answerable_raw), 4),
        "abstention_unanswerable": 0.0,  # it always answers
        "latency_p50_s": round(percentile([s for *_, s in raw], 50), 3),
    }
    answered = [r for r in grounded if r.question.answerable and not r.answer.abstained]
    precision = sum(r.correct for r in answered) / len(answered) if answered else None
    raw_precision = raw_summary["answer_accuracy"]  # it answers everything
    print(f"SQuAD 2.0 sample: {args.answerable} answerable + {args.unanswerable} unanswerable questions")
    print(f"{'metric':34} {'grounded':>9} {'raw model':>10}")
    print(f"{'accuracy on answerable':34} {summary['answer_accuracy']:9.1%} {raw_summary['answer_accuracy']:10.1%}")
    print(f"{'correct when it answers':34} {precision:9.1%} {raw_precision:10.1%}")
    print(f"{'wrong on answerable':34} {summary['wrong_answerable']:9.1%} "
          f"{1 - raw_summary['answer_accuracy']:10.1%}")  # the raw model always answers
    print(f"{'answers unanswerable':34} {summary['wrong_unanswerable']:9.1%} {1.0:10.1%}")
    print(f"{'first evidence holds the answer':34} {summary['evidence_at_1']:9.1%}")
    print(f"{'abstains on unanswerable':34} {summary['abstention_unanswerable']:9.1%} {0.0:10.1%}")
    print(f"{'abstains on answerable':34} {summary['false_abstention_answerable']:9.1%} {0.0:10.1%}")
    print(f"{'source recall@4':34} {summary['source_recall_at_4']:9.1%}")
    print(f"{'citation precision':34} {summary['citation_precision']:9.1%}")
    print(f"{'latency p50 / p95 (s)':34} {summary['latency_p50_s']:4.2f}/{summary['latency_p95_s']:4.2f} "
          f"{raw_summary['latency_p50_s']:10.2f}")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "squad.json").write_text(json.dumps({
        "grounded": summary, "grounded_precision_when_answering": precision, "raw_model": raw_summary,
        "questions": [r.to_dict() | {"raw_draft": d} for r, (_, d, _) in zip(grounded, raw)],
    }, indent=2))


if __name__ == "__main__":
    main()
