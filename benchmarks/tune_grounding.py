"""Sweep the grounding settings on a dev split, with the model's drafts cached on disk.

The reader's drafts depend only on the prompt, so they are cached (per GGUF and llama.cpp
build) in benchmarks/results/drafts-<model>.json: a sweep over thresholds asks the model
only for prompts it has not seen. Tune on dev splits only; report on test with `rag eval`.

    .venv/bin/python benchmarks/tune_grounding.py \\
        --set benchmarks/data/realdocs_qa.jsonl:benchmarks/data/realdocs \\
        --set tests/data/seeds_qa.jsonl:seeds --split dev \\
        --grid min_evidence=0.35,0.45,0.55 coverage_weight=0.5,0.6,0.7

A name with a stage sweeps another stage's field: `generation.reader=generate,spans`.
"s/question" is the wall time per question of each row: only the model calls not cached
before ("model calls") cost the model's time.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from rag import Assistant, Settings  # noqa: E402
from rag.evaluation import evaluate, load_questions, select_split  # noqa: E402

_CACHES: dict[Path, dict] = {}  # one per file, shared by every set asked with that model


class CachedGenerator:
    """A Generator that replays drafts it has produced before for the same prompt."""

    def __init__(self, inner, path: Path):
        self.inner, self.path = inner, path
        self.model_id = inner.model_id
        self.uses_chat_template = inner.uses_chat_template
        if path not in _CACHES:
            _CACHES[path] = json.loads(path.read_text()) if path.is_file() else {}
        self.cache = _CACHES[path]
        self.misses = 0
        if hasattr(inner, "span_logprobs"):  # as the model: a reader falls back when it has none
            self.span_logprobs = self._span_logprobs

    def generate(self, prompt):
        key = hashlib.sha256(json.dumps([prompt.completion, list(prompt.messages), list(prompt.avoid),
                                         prompt.max_tokens]).encode()).hexdigest()
        if key not in self.cache:
            self.misses += 1
            self.cache[key] = "".join(self.inner.generate(prompt))
        yield self.cache[key]

    def _span_logprobs(self, prompt, spans):
        """The inner generator's span scores, cached like drafts (under their own keys)."""
        key = hashlib.sha256(json.dumps(["span_logprobs", prompt.completion, list(spans),
                                         prompt.max_tokens]).encode()).hexdigest()
        if key not in self.cache:
            self.misses += 1
            self.cache[key] = self.inner.span_logprobs(prompt, spans)
        return self.cache[key]

    def save(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.cache))


class WithSettings:
    """An assistant whose ask() uses the given settings (what evaluate() calls)."""

    def __init__(self, assistant: Assistant, settings: Settings):
        self.assistant, self.settings = assistant, settings

    def ask(self, question):
        return self.assistant.ask(question, settings=self.settings)

    def search(self, question, k=None):
        return self.assistant.search(question, k)


def grid_value(text: str):
    """
    >>> grid_value("0.6"), grid_value("3"), grid_value("spans")
    (0.6, 3, 'spans')
    """
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def grid(specs: list[str]) -> list[dict]:
    """Every combination of the values; a name is a grounding field, or stage.field
    ("generation.reader=generate,spans").

    >>> grid(["min_evidence=0.6,0.7", "generation.reader=spans"])
    [{'min_evidence': 0.6, 'generation.reader': 'spans'}, {'min_evidence': 0.7, 'generation.reader': 'spans'}]
    """
    axes = []
    for spec in specs:
        name, values = spec.split("=")
        axes.append([(name, grid_value(v)) for v in values.split(",")])
    return [dict(combo) for combo in itertools.product(*axes)] or [{}]


def with_combo(settings: Settings, combo: dict) -> Settings:
    """The settings with the combination applied: plain names to grounding, the others
    to their stage ("generation.reader")."""
    stages: dict[str, dict] = {}
    for name, value in combo.items():
        stage, _, field = name.rpartition(".")
        stages.setdefault(stage or "grounding", {})[field] = value
    return dataclasses.replace(settings, **{stage: dataclasses.replace(getattr(settings, stage), **fields)
                                            for stage, fields in stages.items()}).validate()


def add_set_arguments(parser: argparse.ArgumentParser) -> None:
    """The question sets, split, settings grid and index folder (shared with evidence_ranks.py)."""
    parser.add_argument("--set", action="append", required=True, help="QUESTIONS.jsonl:DOCS_DIR")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--grid", nargs="*", default=[], help="grounding field=v1,v2,...")
    parser.add_argument("--index-root", default="/tmp/tune-index")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_set_arguments(parser)
    parser.add_argument("--dump", type=Path, help="write each question's result (last settings) here")
    parser.add_argument("--drafts", type=Path, help="the drafts cache (default: results/drafts-<model>.json); "
                                                    "a new file times the model on every row's first run")
    args = parser.parse_args()

    opened = []
    for number, spec in enumerate(args.set):
        questions_file, docs = spec.split(":")
        questions = load_questions(questions_file)
        if any(q.split for q in questions):
            questions = select_split(questions, args.split)
        assistant = Assistant.open(docs, f"{args.index_root}/{number}")
        model = Path(getattr(assistant.generator, "path", "model")).stem
        cached = CachedGenerator(assistant.generator, args.drafts or HERE / "results" / f"drafts-{model}.json")
        assistant._generator = cached
        opened.append((Path(questions_file).stem, assistant, questions, cached))

    print("| settings | set | n | correct | wrong | evidence@1 | abstain (unans.) | kinds | s/question | model calls |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for combo in grid(args.grid):
        for name, assistant, questions, cached in opened:
            settings = with_combo(assistant.settings, combo)
            misses, started = cached.misses, time.perf_counter()
            results, s = evaluate(WithSettings(assistant, settings), questions)
            seconds = (time.perf_counter() - started) / max(1, len(questions))
            if args.dump:
                rows = [{**r.to_dict(), "set": name, "evidence": [e.to_dict() for e in r.answer.evidence]}
                        for r in results]
                with open(args.dump, "a") as out:
                    out.writelines(json.dumps(row) + "\n" for row in rows)
            cached.save()
            label = " ".join(f"{k}={v}" for k, v in combo.items()) or "defaults"
            print(f"| {label} | {name} | {s['answerable']}+{s['unanswerable']} | {s['answer_accuracy']} | "
                  f"{s['wrong_answerable']} | {s['evidence_at_1']} | {s['abstention_unanswerable']} | "
                  f"{s['kinds']} | {seconds:.2f} | {cached.misses - misses} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
