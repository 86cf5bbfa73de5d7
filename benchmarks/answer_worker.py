"""Answer the seeds questions with one system, in its own process; print timings as JSON.

    python benchmarks/answer_worker.py ours  PROMPTS.json --index DIR --docs seeds [--cold]
    python benchmarks/answer_worker.py floor PROMPTS.json [--cold] [--no-prefix-reuse]

ours:  `Assistant.stream` after `Assistant.warm_up()`; time to the first streamed piece and
       to the verified answer, per question.
floor: bare llama-cpp-python with our defaults (n_ctx 2048, greedy, the same max_tokens,
       stop strings and banned first tokens) running, for each question, exactly the
       completion prompts our pipeline ran for it (recorded in PROMPTS.json), one after
       the other on one Llama object, after a 1-token warm-up on an unrelated prompt. Its
       time to first token is the first piece of the first prompt; its total, all prompts.
--cold: one question, and the clock starts at process start (before any import).
--no-prefix-reuse (floor): reset the llama.cpp context before each prompt, so no prompt
       reuses the cached state of the shared few-shot prefix: what that reuse is worth.
"""
from __future__ import annotations

import time

STARTED = time.perf_counter()  # before the heavy imports: the cold-start clock

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import emit, peak_rss_mb  # noqa: E402


def ours(recorded: dict, args) -> dict:
    from rag import Assistant

    assistant = Assistant.open(args.docs, args.index, update=False)
    if not args.cold:
        assistant.warm_up()
    rows = []
    for question in recorded["questions"]:
        started = STARTED if args.cold else time.perf_counter()
        stream = assistant.stream(question["question"])
        first = None
        for piece in stream:
            if first is None and piece.strip():
                first = time.perf_counter() - started
        rows.append(dict(id=question["id"], ttft=first, total=time.perf_counter() - started,
                         answer=stream.answer.text))
    return dict(rows=rows)


def floor(recorded: dict, args) -> dict:
    from llama_cpp import Llama

    llm = Llama(model_path=recorded["model_path"], n_ctx=recorded["n_ctx"], verbose=False)
    if not args.cold:
        llm.create_completion("Hello", max_tokens=1, temperature=0.0)
    rows = []
    for question in recorded["questions"]:
        started = STARTED if args.cold else time.perf_counter()
        first = None
        for prompt in question["prompts"]:
            if args.no_prefix_reuse:
                llm.reset()
            bias = _bias(llm, prompt["avoid"])
            for event in llm.create_completion(prompt["completion"], max_tokens=prompt["max_tokens"],
                                               temperature=0.0, stop=prompt["stop"], logit_bias=bias,
                                               stream=True):
                if first is None and event["choices"][0]["text"].strip():
                    first = time.perf_counter() - started
        rows.append(dict(id=question["id"], ttft=first, total=time.perf_counter() - started))
    return dict(rows=rows)


def _bias(llm, avoid: list[str]) -> dict[int, float] | None:
    """What rag.generation.LlamaGenerator does with a prompt's `avoid` words."""
    banned = {llm.tokenize(form.encode(), add_bos=False)[0]
              for word in avoid for form in (word, " " + word)}
    return {token: -100.0 for token in banned} or None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("system", choices=["ours", "floor"])
    parser.add_argument("prompts", type=Path)
    parser.add_argument("--index", default="index")
    parser.add_argument("--docs", default="seeds")
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--no-prefix-reuse", action="store_true")
    args = parser.parse_args()
    recorded = json.loads(args.prompts.read_text())
    if args.cold:
        recorded["questions"] = recorded["questions"][:1]
    result = (ours if args.system == "ours" else floor)(recorded, args)
    result.update(system=args.system, peak_rss_mb=peak_rss_mb())
    emit(result)


if __name__ == "__main__":
    main()
