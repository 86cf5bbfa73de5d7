"""Several users at once: throughput and latency of 8 threads against asking one by one, and
whether any answer depends on the order or the load (real models).

One process, one Assistant. The 40 questions are asked one by one in the set's order: that
run is the reference. Then, for each of --runs rounds, in a new shuffled order each time,
once more one by one and once with --threads threads sharing the Assistant. An answer is
order-dependent when its text or its citations differ from the reference.

    .venv/bin/python benchmarks/bench_concurrency.py            # prints one table

Thread settings come from the defaults (rag/config.py). `--variants 1/2,2/2,1/1+lock`
instead measures llama.cpp's thread counts (answer/prompt threads; "+lock": the embedder
takes the model's lock too, so the two never run at once) side by side, in turn, each
one by one and with the threads:

    .venv/bin/python benchmarks/bench_concurrency.py --variants 1/2,2/2,1/1,1/1+lock --count 12
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from harness import RESULTS, save  # noqa: E402
from rag import Assistant  # noqa: E402


def answer_key(answer) -> tuple:
    """What must not change with order or load: the reply and the lines it cites."""
    return answer.text, tuple((c.source, c.start_line, c.end_line) for c in answer.citations)


def fresh_sentence_cache(assistant) -> None:
    """Every pass starts with no sentence embedded, so none is faster for coming later
    (and the cache's own order independence is part of what is compared)."""
    from rag.sentence_cache import SentenceVectors

    assistant._sentences = SentenceVectors(assistant.embedder)


def one_by_one(assistant, questions: list[str]) -> tuple[dict, dict, float]:
    fresh_sentence_cache(assistant)
    answers, seconds = {}, {}
    started = time.perf_counter()
    for q in questions:
        t = time.perf_counter()
        answers[q] = answer_key(assistant.ask(q))
        seconds[q] = time.perf_counter() - t
    return answers, seconds, time.perf_counter() - started


def threaded(assistant, questions: list[str], threads: int) -> tuple[dict, dict, float]:
    """Every question submitted at once, `threads` answering; a latency includes the wait."""
    fresh_sentence_cache(assistant)
    answers, seconds = {}, {}
    started = time.perf_counter()

    def ask(q):
        answers[q] = answer_key(assistant.ask(q))
        seconds[q] = time.perf_counter() - started

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(ask, questions))
    return answers, seconds, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    """
    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5), percentile([1.0, 2.0, 3.0, 4.0], 0.95)
    (2.5, 3.85)
    """
    ordered = sorted(values)
    at = share * (len(ordered) - 1)
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def load_questions(path: Path, count: int) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in random.Random(0).sample(rows, min(count, len(rows)))]


def table(rows: list[dict]) -> str:
    head = ("mode", "runs", "questions/min", "p50 s", "p95 s", "ratio", "order-dependent answers")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        lines.append(" | ".join([r["mode"], str(r["runs"]), f"{r['per_minute']:.1f}", f"{r['p50']:.2f}",
                                 f"{r['p95']:.2f}", f"{r['ratio']:.2f}", str(r["changed"])]))
    return "\n".join(lines)


def variant(assistant, spec: str):
    """An Assistant on the same index and embedder with llama.cpp threads "answer/prompt";
    "+lock": embedding waits for the model's lock (and the model for embedding)."""
    from rag import concurrency

    counts, _, lock = spec.partition("+")
    threads, batch = (int(n) for n in counts.split("/"))
    generation = replace(assistant.settings.generation, n_threads=threads, n_threads_batch=batch)
    other = Assistant(assistant.store, assistant.embedder.wrapped, replace(assistant.settings, generation=generation),
                      assistant.docs, assistant.index_dir)
    if lock:
        other.embedder._lock = concurrency._GENERATION_LOCK
    other.warm_up()
    return other


def compare_variants(assistant, questions: list[str], specs: list[str], threads: int) -> None:
    """Each variant in turn, one by one then with `threads` threads, in one shuffled order."""
    order = random.Random(1).sample(questions, len(questions))
    head = ("llama threads (answer/prompt)", "one by one q/min", f"{threads} threads q/min", "ratio")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for spec in specs:
        other = variant(assistant, spec)
        _, _, alone = one_by_one(other, order)
        _, _, together = threaded(other, order, threads)
        line = [spec, f"{60 * len(order) / alone:.1f}", f"{60 * len(order) / together:.1f}", f"{alone / together:.2f}"]
        print(" | ".join(line), file=sys.stderr, flush=True)
        lines.append(" | ".join(line))
    print("\n".join(lines))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", default=str(HERE / "data" / "realdocs"))
    parser.add_argument("--questions", default=str(HERE / "data" / "realdocs_qa.jsonl"))
    parser.add_argument("--index", default=str(RESULTS / "concurrency-index"))
    parser.add_argument("--count", type=int, default=40, help="questions, a fixed sample of the file")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--variants", help="compare llama.cpp thread counts instead, e.g. 1/2,2/2,1/1+lock")
    args = parser.parse_args(argv)

    assistant = Assistant.open(args.docs, args.index, log=lambda _: None)
    assistant.warm_up()
    questions = load_questions(Path(args.questions), args.count)
    if args.variants:
        return compare_variants(assistant, questions, args.variants.split(","), args.threads)
    print(f"{len(questions)} questions, {args.threads} threads, generation threads "
          f"{assistant.generator.threads}", file=sys.stderr)

    reference, ref_seconds, ref_total = one_by_one(assistant, questions)
    results = {"sequential": [(ref_seconds, ref_total)], f"{args.threads} threads": []}
    changed = {"sequential": set(), f"{args.threads} threads": set()}
    for run in range(1, args.runs + 1):
        order = random.Random(run).sample(questions, len(questions))
        for mode, ask in (("sequential", lambda qs: one_by_one(assistant, qs)),
                          (f"{args.threads} threads", lambda qs: threaded(assistant, qs, args.threads))):
            answers, seconds, total = ask(order)
            results[mode].append((seconds, total))
            changed[mode] |= {q for q in questions if answers[q] != reference[q]}
            print(f"run {run} {mode}: {total:.1f} s, {len(changed[mode])} order-dependent so far",
                  file=sys.stderr)

    rows = []
    for mode, runs in results.items():
        per_minute = statistics.median(60 * len(questions) / total for _, total in runs)
        latencies = [s for seconds, _ in runs for s in seconds.values()]
        rows.append({"mode": mode, "runs": len(runs), "per_minute": per_minute,
                     "p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                     "changed": len(changed[mode])})
    for r in rows:
        r["ratio"] = r["per_minute"] / rows[0]["per_minute"]
    save("concurrency", {"rows": rows, "threads": args.threads, "generation_threads": assistant.generator.threads,
                         "changed": {m: sorted(c) for m, c in changed.items()}})
    print(table(rows))


if __name__ == "__main__":
    main()
