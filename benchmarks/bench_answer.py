"""Answering speed: our pipeline against bare llama-cpp-python on the same prompts.

    .venv/bin/python benchmarks/bench_answer.py [--reps 3] [--cold-reps 3] [--limit 7]

1. Indexes seeds/ and answers the answerable seed questions once, recording every
   completion prompt our pipeline gives the model (base models read 3 or more sentence
   windows, one prompt each).
2. Warm: runs, alternately in fresh processes, `ours` (Assistant.stream after warm_up)
   and `floor` (bare llama-cpp-python running exactly those prompts, see answer_worker.py),
   plus `floor-noreuse` (the floor resetting its context before every prompt, which is
   what reusing the KV cache of the shared few-shot prefix saves). Reports the medians of
   time to first token and total time, and their ratios.
3. Cold: process start to the first verified answer (ours) against process start to the
   end of the floor's prompts for the same question, alternately.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import HERE, RESULTS, interleave, run_worker, save  # noqa: E402
from rag import Assistant  # noqa: E402
from rag.evaluation import load_questions  # noqa: E402
from rag.generation import LlamaGenerator, resolve_gguf  # noqa: E402

ROOT = HERE.parent


class RecordingGenerator:
    """The real generator, keeping a copy of each prompt it is given."""

    def __init__(self, inner):
        self.inner, self.prompts = inner, []
        self.model_id, self.uses_chat_template = inner.model_id, inner.uses_chat_template

    def generate(self, prompt):
        self.prompts.append(dict(completion=prompt.completion, stop=list(prompt.stop), avoid=list(prompt.avoid),
                                 max_tokens=prompt.max_tokens or self.inner.settings.max_tokens))
        yield from self.inner.generate(prompt)


def record_prompts(index: Path, questions_file: Path) -> dict:
    opened = Assistant.open(ROOT / "seeds", index)
    path = resolve_gguf(opened.settings.models)
    recorder = RecordingGenerator(LlamaGenerator(path, opened.settings.generation))
    assistant = Assistant(opened.store, opened.embedder, opened.settings, opened.docs, index, recorder)
    if recorder.uses_chat_template:
        raise SystemExit("this benchmark times the base-model reading path; the model has a chat template")
    rows = []
    for q in load_questions(questions_file):
        if not q.answerable:
            continue
        recorder.prompts = []
        answer = assistant.ask(q.question)
        rows.append(dict(id=q.id, question=q.question, answer=answer.text, prompts=recorder.prompts))
    return dict(model_path=str(path), n_ctx=opened.settings.generation.n_ctx, questions=rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=ROOT / "tests" / "data" / "seeds_qa.jsonl")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--limit", type=int, default=7, help="answerable seed questions to time")
    parser.add_argument("--cold-reps", type=int, default=3)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        recorded = record_prompts(index, args.questions)
        recorded["questions"] = recorded["questions"][: args.limit]
        prompts_file = RESULTS / "answer-prompts.json"
        save("answer-prompts", recorded)
        n_prompts = [len(q["prompts"]) for q in recorded["questions"]]
        print(f"{len(n_prompts)} questions, {sum(n_prompts)} prompts ({min(n_prompts)}-{max(n_prompts)} each)",
              file=sys.stderr)
        worker = HERE / "answer_worker.py"
        common = ["--index", str(index), "--docs", str(ROOT / "seeds")]

        def warm(system: str, rep: int) -> dict:
            extra = ["--no-prefix-reuse"] if system == "floor-noreuse" else []
            return run_worker(sys.executable, worker, system.split("-")[0], str(prompts_file), *common, *extra)

        def cold(system: str, rep: int) -> dict:
            return run_worker(sys.executable, worker, system, str(prompts_file), *common, "--cold")

        warm_runs = interleave(["ours", "floor", "floor-noreuse"], args.reps, warm)
        cold_runs = interleave(["ours", "floor"], args.cold_reps, cold)

    def median_of(runs, key):
        return {s: statistics.median(row[key] for r in rs for row in r["rows"]) for s, rs in runs.items()}

    ttft, total = median_of(warm_runs, "ttft"), median_of(warm_runs, "total")
    cold_total = median_of(cold_runs, "total")
    print(f"\nwarm, medians over {args.reps} runs x {len(n_prompts)} questions:")
    print(f"{'system':14} {'first token s':>13} {'total s':>8} {'ttft/floor':>10} {'total/floor':>11}")
    for s in warm_runs:
        print(f"{s:14} {ttft[s]:13.3f} {total[s]:8.3f} {ttft[s] / ttft['floor']:10.2f} {total[s] / total['floor']:11.2f}")
    print(f"cold start to the first answer, median of {args.cold_reps}: ours {cold_total['ours']:.2f} s, "
          f"floor {cold_total['floor']:.2f} s, ratio {cold_total['ours'] / cold_total['floor']:.2f}")
    answers = {row["id"]: row["answer"] for row in warm_runs["ours"][0]["rows"]}
    print("answers:", answers, file=sys.stderr)
    print(f"saved {save('answer', dict(ttft=ttft, total=total, cold=cold_total, warm_runs=warm_runs, cold_runs=cold_runs))}")


if __name__ == "__main__":
    main()
