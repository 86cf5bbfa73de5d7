"""`rag serve` under load: 8 concurrent OpenAI clients against one client at a time, with
the answering model in process and behind llama-cpp-python's own server.

Both set-ups are started first and stay up, then measured in turn on the same questions
(one client, then N clients, per set-up), so the machine's noise falls on all of them:

    inproc        rag serve, the default GGUF loaded in its process
    llama-server  python -m llama_cpp.server with the same GGUF, and
                  rag serve --llm-base-url pointing at it (generation over HTTP)

Each of the N clients sends its share of the questions one after another, as a user would
(a request's latency is its own, not time spent queued in this script). Reports requests
per minute, p50 and p95 latency, the ratio to one client, correct and wrong answers (as
`rag eval` counts them), and how many replies (answer, abstention, cited lines) differ
from the in-process one-client run.

    .venv/bin/python benchmarks/bench_serve.py                      # docs/performance.md
    .venv/bin/python benchmarks/bench_serve.py --count 8 --setups inproc
"""
from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench_concurrency import percentile  # noqa: E402
from harness import offline_env, save  # noqa: E402
from rag import evaluation  # noqa: E402
from rag.evaluation import EvalQuestion, EvalResult  # noqa: E402
from rag.types import Answer  # noqa: E402

SETUPS = ("inproc", "llama-server")


def wait_for(url: str, process: subprocess.Popen, seconds: float = 600) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{' '.join(process.args)} exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def start(setup: str, port: int, args, processes: list) -> str:
    """Start one set-up; its rag serve base URL."""
    from rag.config import ModelSettings
    from rag.generation import resolve_gguf

    serve = [sys.executable, "-m", "rag.cli", "serve", "--docs", args.docs, "--index", args.index,
             "--port", str(port)]
    if setup == "llama-server":
        model_port = port + 100
        server = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(resolve_gguf(ModelSettings())),
             "--host", "127.0.0.1", "--port", str(model_port), "--n_ctx", "2048", "--n_threads", "1",
             "--n_threads_batch", "1"], env=offline_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(server)
        wait_for(f"http://127.0.0.1:{model_port}/v1/models", server)
        serve += ["--llm-base-url", f"http://127.0.0.1:{model_port}/v1"]
    process = subprocess.Popen(serve, env=offline_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(process)
    wait_for(f"http://127.0.0.1:{port}/health", process)
    return f"http://127.0.0.1:{port}/v1"


def measure(base_url: str, questions: list[str], clients: int) -> dict:
    import openai

    client = openai.OpenAI(base_url=base_url, api_key="none", max_retries=0, timeout=600)
    replies, seconds = {}, []

    def ask(q: str) -> None:
        started = time.perf_counter()
        reply = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": q}])
        seconds.append(time.perf_counter() - started)
        extra = reply.model_extra
        replies[q] = (extra["rag"]["answer"], extra["rag"]["abstained"],
                      tuple((c["source"], c["start_line"]) for c in extra["citations"]))

    def one_client(share: list[str]) -> None:
        for q in share:
            ask(q)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one_client, [questions[i::clients] for i in range(clients)]))
    wall = time.perf_counter() - started
    return {"per_minute": 60 * len(questions) / wall, "p50": percentile(seconds, 0.5),
            "p95": percentile(seconds, 0.95), "wall": wall, "replies": replies}


def table(rows: list[dict]) -> str:
    head = ("set-up", "clients", "requests/min", "p50 s", "p95 s", "vs 1 client", "correct", "wrong",
            "replies differing")
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        lines.append(" | ".join([r["setup"], str(r["clients"]), f"{r['per_minute']:.1f}", f"{r['p50']:.2f}",
                                 f"{r['p95']:.2f}", f"{r['ratio']:.2f}", str(r["correct"]), str(r["wrong"]),
                                 str(r["differing"])]))
    return "\n".join(lines)


def load_questions(path: Path, count: int) -> dict[str, EvalQuestion]:
    """`count` questions of the set (a fixed sample), question text -> the question."""
    import random

    questions = evaluation.load_questions(path)
    return {q.question: q for q in random.Random(0).sample(questions, min(count, len(questions)))}


def scored(replies: dict, questions: dict[str, EvalQuestion]) -> tuple[int, int]:
    """(correct, wrong) as `rag eval` counts them (evaluation.EvalResult)."""
    results = [EvalResult(questions[q], Answer(q, text, abstained)) for q, (text, abstained, _cited) in replies.items()]
    return sum(r.correct for r in results), sum(r.wrong for r in results)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", default=str(HERE / "data" / "realdocs_qa.jsonl"))
    parser.add_argument("--docs", default=str(HERE / "data" / "realdocs"))
    parser.add_argument("--index", default="/tmp/bench-serve-index")
    parser.add_argument("--count", type=int, default=24, help="questions per pass")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--setups", default=",".join(SETUPS))
    parser.add_argument("--port", type=int, default=8610)
    args = parser.parse_args(argv)
    setups = [s for s in args.setups.split(",") if s]
    rows_by_question = load_questions(Path(args.questions), args.count)
    questions = list(rows_by_question)
    subprocess.run([sys.executable, "-m", "rag.cli", "index", args.docs, "--index", args.index, "--json"],
                   env=offline_env(), check=True, stdout=subprocess.DEVNULL)
    processes: list[subprocess.Popen] = []
    try:
        urls = {s: start(s, args.port + i, args, processes) for i, s in enumerate(setups)}
        for url in urls.values():  # warm each once (the first question pays lazy set-up)
            measure(url, questions[:1], 1)
        rows, reference = [], None
        for setup in setups:
            for clients in (1, args.clients):
                result = measure(urls[setup], questions, clients)
                reference = reference or result["replies"]
                correct, wrong = scored(result["replies"], rows_by_question)
                rows.append({"setup": setup, "clients": clients, **{k: v for k, v in result.items() if k != "replies"},
                             "correct": correct, "wrong": wrong,
                             "differing": sum(result["replies"][q] != reference[q] for q in questions)})
                single = next(r for r in rows if r["setup"] == setup and r["clients"] == 1)
                rows[-1]["ratio"] = rows[-1]["per_minute"] / single["per_minute"]
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(30)
    print(table(rows))
    print(f"saved {save('serve_throughput', {'questions': len(questions), 'rows': rows})}")


if __name__ == "__main__":
    main()
