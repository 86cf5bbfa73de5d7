"""Retrieval and answer quality on the SQuAD 2.0 sample: the whole benchmark, one command.

    .venv/bin/python benchmarks/bench_quality.py [--answers 100] [--no-answers]
        [--realdocs-questions benchmarks/data/realdocs_qa.jsonl --realdocs-docs benchmarks/data/realdocs]
        [--offtopic benchmarks/data/offtopic_qa.jsonl]

1. Builds the corpus and question files from shared/eval/squad2-dev-part.json
   (squad_corpus.py; one file per article, dev = odd articles, test = even ones).
2. Retrieval, on every answerable question (1,721): recall@1/5/10 and MRR, where a hit
   is a passage holding an expected answer, for
   - the two reference points of the issue, recomputed here on 1000-character chunks with
     100 characters of overlap: dense MiniLM search over them (what LangChain's FAISS with
     HuggingFaceEmbeddings computes: the same unit vectors, nearest first) and plain
     `bm25s` (its own tokenizer, English stop words, no stemming);
   - ours, in each mode: dense, lexical, hybrid (the default).
3. Abstention before the model: `Assistant.answerability` (rag/answerability.py) of every
   question; the coverage/precision trade-off per threshold on the dev split, the chosen
   threshold (the lowest whose dev abstention precision is >= 70%), and the same threshold
   on the test split. Writes a table and a plot.
4. Answers, with the default model (temperature 0) on a fixed sample of each split
   (`--answers` answerable + as many unanswerable, dev and test reported apart): accuracy
   (the answer holds an expected answer as whole tokens) next to wrong answers, evidence@1,
   exact match, token F1, citation precision, abstention, latency; on test, next to the
   bare model handed the gold paragraph with a plain Passage/Question/Answer prompt.
5. The same figures on the real-documents set, per split (skipped, saying so, when its
   files are missing), and the abstention rate on off-topic questions (answer_quality.py).

Writes benchmarks/results/quality.md and quality.json, and the plot benchmarks/quality-abstention.png.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from answer_quality import (  # noqa: E402
    answered_correct_share,
    ask_offtopic,
    ask_set,
    markdown_rows,
    open_realdocs,
    percent,
    split_samples,
)
from rag import Assistant  # noqa: E402
from rag.evaluation import load_questions  # noqa: E402
from rag.scoring import contains_answer, first_hit_rank, mean_reciprocal_rank, precision_recall, recall_at  # noqa: E402
from squad_corpus import DEFAULT_SQUAD, build, load_squad  # noqa: E402

RESULTS = HERE / "results"
DATA = HERE / "data"


def char_chunks(text: str, size: int = 1000, overlap: int = 100) -> list[str]:
    """Chunks of at most `size` characters, cut at paragraph, sentence or word breaks
    (in that order of preference), each starting `overlap` characters before the last
    one ended: the reference chunking (LangChain's recursive splitter in spirit)."""
    chunks, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            window = text[start:end]
            for sep in ("\n\n", ". ", " "):
                cut = window.rfind(sep)
                if cut > size // 2:
                    end = start + cut + len(sep)
                    break
        chunk = text[start:end].strip()
        if chunk:
            chunks.append(chunk)
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return chunks


def ranking_metrics(ranks: list[int | None]) -> dict:
    return {"recall@1": recall_at(ranks, 1), "recall@5": recall_at(ranks, 5),
            "recall@10": recall_at(ranks, 10), "mrr": mean_reciprocal_rank(ranks)}


def reference_rankings(docs: Path, questions, embedder) -> dict[str, list[int | None]]:
    import bm25s

    texts = [c for path in sorted(docs.glob("*.txt")) for c in char_chunks(path.read_text(encoding="utf-8"))]
    vectors = embedder.embed(texts)
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    query_vectors = embedder.embed([q.question for q in questions])
    dense, lexical = [], []
    for q, v in zip(questions, query_vectors):
        top = np.argsort(-(vectors @ v))[:10]
        dense.append(first_hit_rank([texts[i] for i in top], q.answers))
        ids, _ = retriever.retrieve(bm25s.tokenize([q.question], stopwords="en", show_progress=False),
                                    k=10, show_progress=False)
        lexical.append(first_hit_rank([texts[i] for i in ids[0]], q.answers))
    return {"reference dense (1000-char chunks)": dense, "reference BM25, bm25s (1000-char chunks)": lexical,
            "_chunks": len(texts)}


def our_rankings(assistant: Assistant, questions) -> dict[str, list[int | None]]:
    out = {}
    for mode in ("dense", "lexical", "hybrid"):
        out[f"ours: {mode}"] = [first_hit_rank([h.chunk.text for h in assistant.search(q.question, 10, mode)],
                                               q.answers) for q in questions]
    return out


def abstention_table(scores: np.ndarray, unanswerable: np.ndarray) -> list[dict]:
    """Per threshold t (abstain when score < t): coverage, precision of the answered
    (share answerable), abstention precision and recall (on unanswerables)."""
    rows = []
    for t in np.round(np.arange(0.20, 0.80, 0.025), 3):
        abstain = scores < t
        p, r = precision_recall(abstain.tolist(), unanswerable.tolist())
        answered = ~abstain
        rows.append({"threshold": float(t), "coverage": float(answered.mean()),
                     "answered_precision": float((~unanswerable[answered]).mean()) if answered.any() else None,
                     "abstention_precision": p, "abstention_recall": r})
    return rows


def choose_threshold(rows: list[dict], min_precision: float = 0.70) -> dict:
    """The row with the best abstention recall among those with precision >= min_precision
    (else the most precise row)."""
    ok = [r for r in rows if r["abstention_precision"] is not None and r["abstention_precision"] >= min_precision]
    if ok:
        return max(ok, key=lambda r: r["abstention_recall"])
    return max((r for r in rows if r["abstention_precision"] is not None), key=lambda r: r["abstention_precision"])


def plot(dev_rows, test_rows, chosen, path: Path) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib missing: .venv/bin/pip install matplotlib, for the plot)", file=sys.stderr)
        return False
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for rows, label in ((dev_rows, "dev"), (test_rows, "test")):
        ax.plot([r["coverage"] for r in rows], [r["answered_precision"] for r in rows], marker=".", label=label)
    ax.axvline(chosen["coverage"], color="gray", linestyle=":", label=f"chosen t={chosen['threshold']}")
    ax.set_xlabel("coverage (share of questions answered)")
    ax.set_ylabel("precision (share of answered that are answerable)")
    ax.set_title("SQuAD 2.0 sample: abstention before the model")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    return True


def gold_paragraph_answers(assistant: Assistant, articles, questions) -> list[bool]:
    """The bare default model given the gold paragraph: Passage/Question/Answer prompt."""
    from rag.prompting import Prompt

    context = {qa["id"]: p["context"] for a in articles for p in a["paragraphs"] for qa in p["qas"]}
    generator = assistant.generator
    out = []
    for q in questions:
        prompt = Prompt(completion=f"Passage: {context[q.id]}\nQuestion: {q.question}\nAnswer:", max_tokens=32)
        out.append(contains_answer("".join(generator.generate(prompt)), q.answers))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--answers", type=int, default=100,
                        help="answerable (and as many unanswerable) questions per split (dev, test) to answer "
                             "with the model")
    parser.add_argument("--no-answers", action="store_true", help="skip the model: retrieval and abstention only")
    parser.add_argument("--realdocs-questions", type=Path, default=DATA / "realdocs_qa.jsonl",
                        help="questions about real documents (rag eval format, with dev/test splits)")
    parser.add_argument("--realdocs-docs", type=Path, default=DATA / "realdocs", help="the real documents")
    parser.add_argument("--offtopic", type=Path, default=DATA / "offtopic_qa.jsonl",
                        help='off-topic questions, each asked against its "corpus" (squad or realdocs)')
    args = parser.parse_args()

    paths = build(args.squad, RESULTS / "squad")
    articles = load_squad(args.squad)
    everything = load_questions(paths["all"])
    answerable = [q for q in everything if q.answerable]
    started = time.perf_counter()
    assistant = Assistant.open(paths["docs"], RESULTS / "squad" / "index")
    report: dict = {"corpus": {"articles": len(articles), "chunks": len(assistant.store),
                               "questions": len(everything), "answerable": len(answerable)}}
    print(f"indexed {len(assistant.store)} chunks in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    rankings = reference_rankings(paths["docs"], answerable, assistant.embedder)
    report["corpus"]["reference_chunks"] = rankings.pop("_chunks")
    rankings.update(our_rankings(assistant, answerable))
    report["retrieval"] = {name: ranking_metrics(ranks) for name, ranks in rankings.items()}

    scores = np.array([assistant.answerability(q.question) for q in everything])
    unanswerable = np.array([not q.answerable for q in everything])
    dev = np.array([q.split == "dev" for q in everything])
    dev_rows = abstention_table(scores[dev], unanswerable[dev])
    test_rows = abstention_table(scores[~dev], unanswerable[~dev])
    chosen = choose_threshold(dev_rows)
    on_test = next(r for r in test_rows if r["threshold"] == chosen["threshold"])
    report["abstention"] = {"chosen_on_dev": chosen, "on_test": on_test, "dev": dev_rows, "test": test_rows,
                            "setting": assistant.settings.grounding.min_answerability}
    plot(dev_rows, test_rows, chosen, HERE / "quality-abstention.png")  # tracked: docs/quality.md shows it

    sets, rows = {}, []
    if not args.no_answers:
        results, sets["SQuAD sample"] = ask_set(assistant, split_samples(everything, args.answers), "SQuAD")
        rows += [r.to_dict() | {"set": "squad"} for r in results]
        test = [r for r in results if r.question.split == "test"]
        gold = gold_paragraph_answers(assistant, articles, [r.question for r in test if r.question.answerable])
        report["answers"] = sets["SQuAD sample"]["test"] | {  # the test figures, where they always were
            "bare_model_gold_paragraph_contains": round(sum(gold) / len(gold), 4),
            "answered_correct_share": answered_correct_share(test)}
    realdocs = open_realdocs(args.realdocs_questions, args.realdocs_docs, RESULTS / "realdocs" / "index")
    if realdocs:
        results, sets["real documents"] = ask_set(*realdocs, "real documents", retrieval_only=args.no_answers)
        rows += [r.to_dict() | {"set": "realdocs"} for r in results]
    if not args.no_answers:
        results, sets["off-topic"] = ask_offtopic(args.offtopic, {"squad": assistant,
                                                                  "realdocs": realdocs and realdocs[0]})
        rows += [r.to_dict() | {"set": "offtopic"} for r in results]
    report["answer_sets"] = sets
    report["answer_rows"] = rows

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "quality.json").write_text(json.dumps(report, indent=2))
    markdown = format_markdown(report)
    (RESULTS / "quality.md").write_text(markdown)
    print(markdown)


def format_markdown(report: dict) -> str:
    c = report["corpus"]
    lines = [f"SQuAD 2.0 sample: {c['articles']} articles, {c['questions']} questions "
             f"({c['answerable']} answerable); ours {c['chunks']} chunks, reference {c['reference_chunks']} chunks.",
             "", "| retrieval (answerable questions) | recall@1 | recall@5 | recall@10 | MRR |",
             "|---|---|---|---|---|"]
    for name, m in report["retrieval"].items():
        lines.append(f"| {name} | {m['recall@1']:.1%} | {m['recall@5']:.1%} | {m['recall@10']:.1%} | {m['mrr']:.3f} |")
    a = report["abstention"]
    lines += ["", "| abstention before the model | threshold | coverage | abstention precision | abstention recall |",
              "|---|---|---|---|---|"]
    for label, row in (("dev (where it was chosen)", a["chosen_on_dev"]), ("test", a["on_test"])):
        lines.append(f"| {label} | {row['threshold']} | {row['coverage']:.1%} | "
                     f"{percent(row['abstention_precision'])} | {percent(row['abstention_recall'])} |")
    if "answers" in report:
        s = report["answers"]
        lines += ["", f"| answers, default model, test sample ({s['answerable']} answerable + "
                      f"{s['unanswerable']} unanswerable) | value |", "|---|---|"]
        for key, label in (("exact_match", "exact match (answerable)"), ("f1", "token F1 (answerable)"),
                           ("answer_accuracy", "answer contains an expected answer (answerable)"),
                           ("wrong_answerable", "answered wrongly (answerable)"),
                           ("evidence_at_1", "first evidence quote holds an expected answer (answerable)"),
                           ("bare_model_gold_paragraph_contains", "bare model handed the gold paragraph, same questions"),
                           ("answered_correct_share", "right when it answers (answerable)"),
                           ("citation_precision", "citation precision"),
                           ("abstention_precision", "abstention precision (all abstentions)"),
                           ("abstention_recall", "abstention recall (unanswerable)"),
                           ("false_abstention_answerable", "abstains on answerable")):
            lines.append(f"| {label} | {percent(s[key])} |")
        lines.append(f"| latency p50 / p95 | {s['latency_p50_s']:.2f} s / {s['latency_p95_s']:.2f} s |")
    if any("answer_accuracy" in s for splits in report["answer_sets"].values() for s in splits.values()):
        lines += ["", *markdown_rows(report["answer_sets"])]
    realdocs = report["answer_sets"].get("real documents", {})
    if realdocs:
        lines += ["", "| retrieval, real documents (answerable) | recall@1 | recall@5 | recall@10 | MRR |",
                  "|---|---|---|---|---|"]
        for split, m in realdocs.items():
            if m.get("retrieval_mrr") is not None:
                lines.append(f"| {split} | {m['retrieval_recall_at_1']:.1%} | {m['retrieval_recall_at_5']:.1%} | "
                             f"{m['retrieval_recall_at_10']:.1%} | {m['retrieval_mrr']:.3f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
