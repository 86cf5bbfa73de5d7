"""The reliability campaign: kills, corruptions, I/O errors, hostile inputs and concurrent
chats against the index and the chat page; prints one table (docs/reliability.md).

    .venv/bin/python benchmarks/reliability.py            # the full campaign (~10 min, 2 cores)
    .venv/bin/python benchmarks/reliability.py --quick    # a smaller run (~3 min)

The store parts (kills, corruptions, I/O errors) use the deterministic fake embedder of
tests/fakes.py: they are about the files on disk, and a clean build must be reproducible.
The hostile inputs and the chats use the real embedding and answering models unless
--fake-models is given. Every number in the "must be 0" column is a failure.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

# This checkout's rag and tests/fakes.py, whatever rag the virtualenv has installed.
sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]
from reliability_state import open_with_fakes  # noqa: E402

PARTS = ("kills", "checkpoints", "corruptions", "ioerrors", "hostile", "chats")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 kills, 30 corruptions, 1 question per chat")
    parser.add_argument("--kills", type=int, help="random SIGKILLs during updates (default 300)")
    parser.add_argument("--corruptions", type=int, help="damaged indexes (default 100)")
    parser.add_argument("--chats", type=int, default=8, help="concurrent gradio_client chats (1-8, default 8)")
    parser.add_argument("--chat-rounds", type=int, help="questions per chat (default 2)")
    parser.add_argument("--fake-models", action="store_true",
                        help="hostile inputs and chats with the fake models too (fast, no model files)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--work", help="folder for the campaign's files (default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    args = parser.parse_args(argv)
    args.kills = args.kills if args.kills is not None else 40 if args.quick else 300
    args.corruptions = args.corruptions if args.corruptions is not None else 30 if args.quick else 100
    args.chat_rounds = args.chat_rounds or (1 if args.quick else 2)
    args.parts = [p for p in args.parts.split(",") if p]
    unknown = set(args.parts) - set(PARTS)
    if unknown or not 1 <= args.chats <= 8:
        parser.error(f"unknown parts {sorted(unknown)}" if unknown else "--chats takes 1 to 8")
    return args


def row(part: str, runs: str, counts, must_be_zero: dict, problems: list[str], seconds: float, models: str) -> dict:
    shown = {k: v for k, v in dict(counts).items() if k not in must_be_zero}
    return {"part": part, "runs": runs, "must_be_zero": must_be_zero, "found": shown,
            "problems": problems, "seconds": round(seconds, 1), "models": models,
            "ok": not any(must_be_zero.values()) and not problems}


def run(args, work: Path) -> list[dict]:
    rows = []
    models = "fake" if args.fake_models else "real (all-MiniLM-L6-v2, Gemma 3 270M)"
    if "kills" in args.parts:
        from reliability_kills import run_kills
        started = time.perf_counter()
        tally = run_kills(work / "kills", args.kills, args.seed)
        c = tally.counts
        rows.append(row("random SIGKILLs during updates", f"{args.kills} kills", c, _kill_zeros(c), [],
                        time.perf_counter() - started, "fake embedder"))
    if "checkpoints" in args.parts:
        from reliability_kills import run_checkpoint_kills
        started = time.perf_counter()
        tally = run_checkpoint_kills(work / "checkpoints", args.seed)
        c = tally.counts
        zeros = {**_kill_zeros(c), "checkpoint not reached": c["checkpoint not reached"]}
        rows.append(row("a kill at every save checkpoint", f"{c['rounds']} kills", c, zeros, [],
                        time.perf_counter() - started, "fake embedder"))
    if "corruptions" in args.parts:
        from reliability_corruption import run_corruptions
        started = time.perf_counter()
        c, problems = run_corruptions(work / "corruptions", args.corruptions, args.seed)
        zeros = {k: c[k] for k in ("crash", "silent wrong result", "rebuild failed")}
        rows.append(row("corruptions, then search and --rebuild", f"{args.corruptions} damaged indexes", c, zeros,
                        problems, time.perf_counter() - started, "fake embedder"))
    if "ioerrors" in args.parts:
        from reliability_ioerr import run_ioerrors
        started = time.perf_counter()
        c, problems = run_ioerrors(work / "ioerrors", args.seed)
        rows.append(row("I/O error at the k-th write, every k", f"{c['injections']} injections", c,
                        {"other exception": c["other exception"], "problems": c.pop("problems")}, problems,
                        time.perf_counter() - started, "fake embedder"))
    opener = open_with_fakes if args.fake_models else _real_opener()
    if "hostile" in args.parts:
        from reliability_hostile import run_hostile
        started = time.perf_counter()
        c, problems = run_hostile(work / "hostile", opener)
        zeros = {k: c[k] for k in ("crash", "wrong handling", "leaks")}
        rows.append(row("hostile inputs", f"{c['inputs']} inputs", c, zeros, problems,
                        time.perf_counter() - started, models))
    if "chats" in args.parts:
        from reliability_app import chat_corpus, run_chats
        started = time.perf_counter()
        questions = chat_corpus(work / "chats" / "docs")[:args.chats]
        assistant = opener(work / "chats" / "docs", work / "chats" / "index")
        c, problems = run_chats(assistant, questions, args.chat_rounds)
        zeros = {k: c[k] for k in ("error", "cross-talk", "unexpected answer")}
        rows.append(row(f"{args.chats} concurrent gradio_client chats, re-index midway",
                        f"{c['answers']} answers", c, zeros, problems, time.perf_counter() - started, models))
    return rows


def _kill_zeros(c) -> dict:
    return {k: c[k] for k in ("unloadable", "mixed", "recovery differs from a clean build",
                              "orphans after the next run")}


def _real_opener():
    """Assistant.open with the real models, loaded once and shared by every Assistant."""
    from rag import Assistant
    from rag.config import ModelSettings
    from rag.embedding import load_embedder

    models = {}

    def open_real(docs, index, **kwargs):
        if not models:
            models["embedder"] = load_embedder(ModelSettings())
            assistant = Assistant.open(docs, index, embedder=models["embedder"], **kwargs)
            models["generator"] = assistant.generator
            assistant.warm_up()
            return assistant
        return Assistant.open(docs, index, embedder=models["embedder"], generator=models["generator"], **kwargs)

    return open_real


def table(rows: list[dict]) -> str:
    lines = ["| part | runs | must be 0 | also seen | models | seconds |", "|---|---|---|---|---|---|"]
    for r in rows:
        zeros = ", ".join(f"{k} **{v}**" for k, v in r["must_be_zero"].items())
        seen = ", ".join(f"{k} {v}" for k, v in r["found"].items() if k not in ("rounds", "cases", "inputs"))
        lines.append(f"| {r['part']} | {r['runs']} | {zeros} | {seen} | {r['models']} | {r['seconds']} |")
    problems = [f"- {r['part']}: {p}" for r in rows for p in r["problems"]]
    return "\n".join(lines + (["", "Problems:", *problems] if problems else []))


def main(argv=None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rag-reliability-") as scratch:
        work = Path(args.work) if args.work else Path(scratch)
        rows = run(args, work)
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
