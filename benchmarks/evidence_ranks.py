"""Where the sentence holding the answer lands in the evidence ranking (no reader model).

For each answerable question of a dev split: retrieve, score and order the sentences as
the assistant does (rag/evidence.py, grounding.order_evidence), and count the questions
whose first-ranked quote holds an expected answer, and those with one in the top 10. The
reader model is not asked, so a ranking change is measured in about a minute.

    .venv/bin/python benchmarks/evidence_ranks.py \\
        --set benchmarks/data/realdocs_qa.jsonl:benchmarks/data/realdocs \\
        --set benchmarks/results/squad/tune-dev.jsonl:benchmarks/results/squad/docs \\
        --grid context_weight=0,0.5

`--query-likelihood N` re-ranks the first N sentences by the GGUF's mean log-probability
of the question given the sentence (a zero-shot re-ranker; mixed with the score by
z-scores, `--ql-weight`), to measure it against the ranking alone.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from rag import Assistant  # noqa: E402
from rag.evaluation import load_questions, select_split  # noqa: E402
from rag.evidence import sentence_windows  # noqa: E402
from rag.grounding import ranked_evidence  # noqa: E402
from rag.loading import read_source_text  # noqa: E402
from rag.scoring import contains_answer  # noqa: E402
from rag.token_logprobs import continuation_logprobs  # noqa: E402
from tune_grounding import add_set_arguments, grid, with_combo  # noqa: E402

QL_PROMPT = "Passage: {sentence}\nA question that this passage answers:"


def ranked(assistant: Assistant, question: str, grounding) -> list:
    """The question's scored sentences in the order the assistant quotes them."""
    vector = assistant.embedder.embed([question])[0]
    hits = assistant._retrieve(question, assistant.settings.retrieval.top_k, vector=vector)
    windows = sentence_windows(hits)
    if not windows:
        return []
    cosines = assistant._sentences.cosines(vector, [w.sentence for w in windows])
    texts = {s: read_source_text(assistant.docs, s, assistant.index_dir) for s in {h.chunk.source for h in hits}}
    return ranked_evidence(question, windows, cosines, assistant.store.lexical.idf, texts, grounding)


def query_likelihood(llm, sentence: str, question: str, most_tokens: int = 400) -> float:
    """Mean log P(question tokens | QL_PROMPT with the sentence), one decode of the pair."""
    head = llm.tokenize(QL_PROMPT.format(sentence=sentence).encode(), add_bos=True)
    asked = llm.tokenize((" " + question).encode(), add_bos=False)
    if len(head) + len(asked) > most_tokens:
        head = head[:1] + head[-(most_tokens - len(asked) - 1):]
    llm.reset()
    return statistics.fmean(continuation_logprobs(llm, head, asked))


def rerank(order: list, likelihoods: list[float], weight: float) -> list:
    def z(values):
        mean, spread = statistics.fmean(values), statistics.pstdev(values) or 1.0
        return [(v - mean) / spread for v in values]

    head = order[: len(likelihoods)]
    mixed = [a + weight * b for a, b in zip(z([s.score for s in head]), z(likelihoods))]
    return [s for _, _, s in sorted(zip(mixed, range(len(head)), head), key=lambda t: (-t[0], t[1]))] \
        + order[len(likelihoods):]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_set_arguments(parser)
    parser.add_argument("--query-likelihood", type=int, default=0, metavar="N")
    parser.add_argument("--ql-weight", type=float, nargs="*", default=[0.2, 0.5, 1.0])
    args = parser.parse_args()

    print("| settings | set | answerable | first quote holds the answer | in the first 10 |")
    print("|---|---|---|---|---|")
    for number, spec in enumerate(args.set):
        questions_file, docs = spec.split(":")
        questions = load_questions(questions_file)
        if any(q.split for q in questions):
            questions = select_split(questions, args.split)
        questions = [q for q in questions if q.answerable]
        assistant = Assistant.open(docs, f"{args.index_root}/{number}")
        llm = assistant.generator._llm if args.query_likelihood else None
        for combo in grid(args.grid):
            grounding = with_combo(assistant.settings, combo).grounding
            orders = {q.id: ranked(assistant, q.question, grounding) for q in questions}
            variants = {"": orders}
            if llm is not None:
                likely = {q.id: [query_likelihood(llm, s.window.sentence, q.question)
                                 for s in orders[q.id][: args.query_likelihood]] for q in questions}
                for w in args.ql_weight:
                    variants[f" + QL x{w}"] = {q.id: rerank(orders[q.id], likely[q.id], w) for q in questions}
            for suffix, chosen in variants.items():
                first = sum(bool(chosen[q.id]) and contains_answer(chosen[q.id][0].window.quoted_text, q.answers)
                            for q in questions)
                top10 = sum(any(contains_answer(s.window.quoted_text, q.answers) for s in chosen[q.id][:10])
                            for q in questions)
                label = (" ".join(f"{k}={v}" for k, v in combo.items()) or "defaults") + suffix
                print(f"| {label} | {Path(questions_file).stem} | {len(questions)} | {first} | {top10} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
