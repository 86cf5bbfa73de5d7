"""The default model in-process against the same GGUF behind llama-cpp-python's server:
whether every answer is the same, and the seconds per question (real models).

One Assistant answers in-process, a second through `python -m llama_cpp.server` on this
machine, sharing the index and the embedder; the questions are asked in turn, one then
the other, after one warm-up each. Reported: how many replies are the same (kind, short
answer, citations) and how many drafts are (the model's raw text; the server reuses its
prompt cache from one request to the next, which can round a later draft differently at
temperature 0, something the in-process generator avoids; docs/model-servers.md).

    .venv/bin/python benchmarks/bench_model_server.py            # the seed questions
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests")]

from harness import save  # noqa: E402
from rag import Assistant  # noqa: E402
from rag.config import ModelSettings  # noqa: E402
from rag.generation import resolve_gguf  # noqa: E402
from served_llama import served_llama  # noqa: E402


def reply_key(answer) -> tuple:
    return answer.kind, answer.short_answer, tuple((c.source, c.start_line, c.end_line) for c in answer.citations)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", default=str(HERE.parent / "tests/data/seeds_qa.jsonl"),
                        help="JSON lines question set (default: the seed questions)")
    parser.add_argument("--docs", default=str(HERE.parent / "seeds"), help="documents folder (default: seeds)")
    args = parser.parse_args(argv)
    questions = [json.loads(line) for line in Path(args.questions).read_text().splitlines() if line.strip()]
    work = Path(tempfile.mkdtemp())
    shutil.copytree(args.docs, work / "docs")
    rows = []
    with served_llama(resolve_gguf(ModelSettings()), work / "server.log") as url:
        local = Assistant.open(work / "docs", work / "idx")
        models = dataclasses.replace(local.settings.models, llm_base_url=url)
        remote = Assistant.open(work / "docs", work / "idx", embedder=local.embedder.wrapped, update=False,
                                settings=dataclasses.replace(local.settings, models=models))
        local.warm_up()
        remote.warm_up()
        for q in questions:
            timed = []
            for assistant in (local, remote):
                started = time.perf_counter()
                answer = assistant.ask(q["question"])
                timed.append((answer, time.perf_counter() - started))
            (here, here_s), (there, there_s) = timed
            rows.append({"id": q["id"], "same_reply": reply_key(here) == reply_key(there),
                         "same_drafts": here.draft == there.draft, "answer": here.text[:60],
                         "in_process_s": round(here_s, 3), "server_s": round(there_s, 3)})
            print(f"{q['id']:>8}  reply {'same' if rows[-1]['same_reply'] else 'DIFFERS'}  drafts "
                  f"{'same' if rows[-1]['same_drafts'] else 'differ'}  {here_s:6.2f} s  {there_s:6.2f} s  {here.text[:50]!r}")
            if not (rows[-1]["same_reply"] and rows[-1]["same_drafts"]):
                print(f"          in-process {here.draft!r} {reply_key(here)!r}\n"
                      f"          server     {there.draft!r} {reply_key(there)!r}")
    asked = [r for r in rows if r["in_process_s"] > 0.1]  # the ones that reached the model
    summary = {"questions": len(rows), "same_replies": sum(r["same_reply"] for r in rows),
               "same_drafts": sum(r["same_drafts"] for r in rows),
               "median_in_process_s": statistics.median(r["in_process_s"] for r in asked) if asked else None,
               "median_server_s": statistics.median(r["server_s"] for r in asked) if asked else None}
    print(json.dumps(summary))
    save("model_server", {"summary": summary, "rows": rows})
    shutil.rmtree(work, ignore_errors=True)
    return 0 if summary["same_replies"] == summary["questions"] else 1


if __name__ == "__main__":
    sys.exit(main())
