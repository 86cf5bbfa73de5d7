"""Time whichever llama.cpp build is first on the path, in its own process; print JSON.

    PYTHONPATH=benchmarks/results/llama-native:. python benchmarks/llama_build_worker.py MODEL.gguf
        [--prompt-tokens 400] [--gen-tokens 64] [--threads 2]

prompt: one decode of --prompt-tokens tokens of seeds/ text, after a short warm-up decode
        (the first decode allocates the compute buffers).
gen:    --gen-tokens greedy tokens after that prompt, one decode each. The next token is the
        argmax of the logits, not a sampler's pick, so EOS never ends the run early and any
        two builds that compute the same logits produce the same tokens (their hash is
        reported, for the driver to compare).
Times are llama.cpp's own perf counters (decode time only, no Python around it); wall
clock times are reported alongside. So is where llama_cpp was imported from, so the driver
can check that the build it meant to measure is the one that ran.

This worker measures one build; installing builds and comparing them is
bench_llama_builds.py's job.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import HERE, emit, peak_rss_mb  # noqa: E402

SEEDS = HERE.parent / "seeds"


def prompt_tokens(llm, count: int) -> list[int]:
    """The first `count` tokens of the seed documents (repeated if they are too short)."""
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    tokens = llm.tokenize(text.encode(), add_bos=True)
    body = llm.tokenize(text.encode(), add_bos=False)
    while len(tokens) < count:
        tokens += body
    return tokens[:count]


def measure(args) -> dict:
    import llama_cpp
    import numpy as np
    from llama_cpp import Llama

    llm = Llama(model_path=args.model, n_ctx=args.n_ctx, n_batch=512, n_threads=args.threads,
                n_threads_batch=args.threads, verbose=False)
    prompt = prompt_tokens(llm, args.prompt_tokens)
    if len(prompt) + args.gen_tokens > args.n_ctx:
        raise SystemExit(f"--prompt-tokens + --gen-tokens exceed n_ctx {args.n_ctx}")
    ctx, n_vocab = llm.ctx, llm.n_vocab()
    llm.eval(prompt[:8])
    # llama.cpp books a decode's time when it next synchronizes: without this, the warm-up
    # would land in the prompt's counters
    llama_cpp.llama_synchronize(ctx)
    llm.reset()  # the next eval starts again at position 0 (and drops the cached tokens)
    llama_cpp.llama_perf_context_reset(ctx)

    started = time.perf_counter()
    llm.eval(prompt)
    llama_cpp.llama_synchronize(ctx)
    prompt_wall = time.perf_counter() - started
    generated: list[int] = []
    started = time.perf_counter()
    for _ in range(args.gen_tokens):
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, -1), shape=(n_vocab,))
        generated.append(int(logits.argmax()))
        llm.eval(generated[-1:])
    llama_cpp.llama_synchronize(ctx)
    gen_wall = time.perf_counter() - started
    perf = llama_cpp.llama_perf_context(ctx)  # decodes of 1 token count as eval, larger as prompt

    return dict(
        llama_cpp_file=llama_cpp.__file__,
        llama_cpp_version=llama_cpp.__version__,
        system_info=llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
        threads=args.threads,
        prompt_tokens=perf.n_p_eval,
        prompt_tps=perf.n_p_eval / (perf.t_p_eval_ms / 1000),
        prompt_wall_tps=len(prompt) / prompt_wall,
        gen_tokens=perf.n_eval,
        gen_tps=perf.n_eval / (perf.t_eval_ms / 1000),
        gen_wall_tps=len(generated) / gen_wall,
        generated_hash=hashlib.sha256(",".join(map(str, generated)).encode()).hexdigest()[:16],
        generated_text=llm.detokenize(generated).decode(errors="replace"),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", help="GGUF file")
    parser.add_argument("--prompt-tokens", type=int, default=400)
    parser.add_argument("--gen-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-ctx", type=int, default=2048)
    args = parser.parse_args()
    result = measure(args)
    result.update(peak_rss_mb=peak_rss_mb())
    emit(result)


if __name__ == "__main__":
    main()
