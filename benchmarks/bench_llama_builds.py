"""llama.cpp builds side by side: prompt and generation speed, and whether answers change.

    .venv/bin/python benchmarks/bench_llama_builds.py [--builds portable,native] [--reps 3]
    .venv/bin/python benchmarks/bench_llama_builds.py --eval QA.jsonl [--builds ...]

Each build is a RAG_LLAMA_BUILD of scripts/build_llama.sh: its flag-keyed wheel is found
(or compiled, ~7 minutes on 2 cores) with --wheel-only and installed, without its
dependencies, into benchmarks/results/llama-<build>/. Every measurement runs in a fresh
process with that folder first on PYTHONPATH, so that build's llama_cpp shadows the venv's
(the worker reports where llama_cpp came from, and a mismatch stops the run). Builds take
turns rep by rep, because the machine is shared and noisy: the table gives medians and the
ratio of each build to the first one.

--eval QA.jsonl runs `python -m rag.cli eval QA.jsonl --json --docs seeds --index TMP` under
each build instead (one index, built during the first build's run) and prints every
question's verdict and answer side by side, and whether the builds agree.

A build whose process dies of a signal (SIGILL: built for another CPU; SIGSEGV: the AMX
crash) is reported as crashed, and the other builds are still measured; under --eval, rag's
own check (rag/llama_check.py) usually turns the crash into an error first, also reported. Reports are
printed and saved under benchmarks/results/ (llama-builds*.md and .json).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import HERE, RESULTS, interleave, offline_env, save  # noqa: E402

ROOT = HERE.parent
CPU_FLAGS_OF_INTEREST = ("avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512_vnni", "avx512_bf16",
                         "amx_tile", "amx_int8", "amx_bf16")


# ---------------------------------------------------------------- the machine and the builds

def cpu_summary() -> dict:
    """CPU model, which flags of interest it has, and the load average right now."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model in ("", platform.machine(), platform.processor()):
                model = value.strip()
            elif key.strip() in ("flags", "Features") and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return dict(model=model, cores=os.cpu_count(),
                flags={f: f in flags for f in CPU_FLAGS_OF_INTEREST},
                load_average=[round(x, 2) for x in os.getloadavg()])


def wheel_for(build: str) -> Path:
    """The build's wheel from scripts/build_llama.sh --wheel-only (compiled on first use)."""
    done = subprocess.run(["bash", "scripts/build_llama.sh", "--wheel-only"], cwd=ROOT, text=True,
                          stdout=subprocess.PIPE, env={**os.environ, "RAG_LLAMA_BUILD": build})
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or not lines[-1].endswith(".whl"):
        raise RuntimeError(f"scripts/build_llama.sh --wheel-only failed for {build} (exit {done.returncode})")
    return Path(lines[-1])


def install(build: str, wheel: Path) -> Path:
    """pip install --no-deps --target results/llama-<build>; kept while the wheel is the same."""
    target = RESULTS / f"llama-{build}"
    marker = target / ".installed-wheel"
    if marker.is_file() and marker.read_text() == str(wheel):
        return target
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-qq", "--disable-pip-version-check",
                    "--no-deps", "--target", str(target), str(wheel)], check=True)
    marker.write_text(str(wheel))
    return target


def build_env(target: Path, model: Path) -> dict[str, str]:
    env = offline_env()
    env["PYTHONPATH"] = os.pathsep.join([str(target), env["PYTHONPATH"]])
    env["RAG_MODEL"] = str(model)  # every build answers with the same file
    return env


def run_under(target: Path, model: Path, argv: list[str], timeout: float) -> dict:
    """Run argv with the build in `target` first on the path; never raises for the child.

    Returns {"stdout": ...} on success, else {"crashed": "SIGSEGV"}, {"failed": last line}
    or {"failed": "timed out ..."}: a dead child is a result to report, not a reason to stop.
    """
    try:
        done = subprocess.run(argv, cwd=ROOT, env=build_env(target, model), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return dict(failed=f"timed out after {timeout:.0f} s")
    if done.returncode < 0:
        return dict(crashed=_signal_name(-done.returncode))
    if done.returncode != 0:
        last = [line for line in done.stderr.strip().splitlines() if line.strip()]
        return dict(failed=last[-1] if last else f"exit code {done.returncode}")
    return dict(stdout=done.stdout)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def enabled_features(system_info: str) -> str:
    """The CPU features a build was compiled with, from llama_print_system_info().

    >>> enabled_features("CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 0 | OPENMP = 1 | REPACK = 1 |")
    'SSE3 AVX2'
    """
    skip = {"OPENMP", "REPACK", "LLAMAFILE", "KLEIDIAI", "ACCELERATE", "METAL", "CUDA", "BLAS"}
    names = []
    for part in system_info.replace("CPU :", "|").split("|"):
        name, _, value = part.partition("=")
        if value.strip() == "1" and name.strip() not in skip:
            names.append(name.strip())
    return " ".join(dict.fromkeys(names))


# ---------------------------------------------------------------- speed

def speed(builds: dict[str, Path], model: Path, args) -> tuple[str, dict]:
    worker = HERE / "llama_build_worker.py"
    texts: dict[str, str] = {}

    def one(build: str, rep: int) -> dict:
        target = builds[build]
        outcome = run_under(target, model, [sys.executable, str(worker), str(model), "--threads",
                                            str(args.threads), "--prompt-tokens", str(args.prompt_tokens),
                                            "--gen-tokens", str(args.gen_tokens)], timeout=900)
        if "stdout" not in outcome:
            return outcome
        result = json.loads(outcome["stdout"].strip().splitlines()[-1])
        if not Path(result["llama_cpp_file"]).resolve().is_relative_to(target.resolve()):
            raise SystemExit(f"{build}: llama_cpp came from {result['llama_cpp_file']}, not {target}; "
                             f"the venv's copy was not shadowed")
        texts[build] = result.pop("generated_text")
        return result

    runs = interleave(list(builds), args.reps, one)
    first = next(iter(builds))
    rows = {b: summarize_speed(rs) for b, rs in runs.items()}
    lines = [f"| build | CPU features compiled in | prompt tok/s | gen tok/s | prompt vs {first} "
             f"| gen vs {first} | same tokens as {first} |", "|---|---|--:|--:|--:|--:|---|"]
    base = rows[first]
    for build, row in rows.items():
        if "median_prompt_tps" not in row:
            lines.append(f"| {build} | {row['status']} | - | - | - | - | - |")
            continue
        ratio = {k: (f"{row[k] / base[k]:.2f}" if k in base else "-") for k in ("median_prompt_tps", "median_gen_tps")}
        same = ("yes" if row["generated_hash"] == base.get("generated_hash") else "NO") if build != first else "-"
        status = "" if row["status"] == "ok" else f" ({row['status']})"
        lines.append(f"| {build} | {row['features']}{status} | {row['median_prompt_tps']:.1f} "
                     f"| {row['median_gen_tps']:.1f} | {ratio['median_prompt_tps']} "
                     f"| {ratio['median_gen_tps']} | {same} |")
    notes = [f"Medians of {args.reps} runs per build, taken in turns, {args.prompt_tokens}-token prompt, "
             f"{args.gen_tokens} greedy tokens, n_threads={args.threads}, llama.cpp perf counters; "
             f"model {model.name}."]
    notes += [f"{b} llama_print_system_info: {row.get('system_info', row['status'])}" for b, row in rows.items()]
    notes += [f"{b} generated: {texts[b]!r}" for b in builds if b in texts]
    return "\n".join(lines) + "\n\n" + "\n\n".join(notes), dict(runs=runs, summary=rows, generated=texts)


def summarize_speed(runs: list[dict]) -> dict:
    ok = [r for r in runs if "prompt_tps" in r]
    dead = [r.get("crashed") or r.get("failed") for r in runs if "prompt_tps" not in r]
    status = "ok" if not dead else ("crashed " if any("crashed" in r for r in runs) else "failed ") + \
        f"{len(dead)} of {len(runs)} runs: {', '.join(sorted(set(dead)))}"
    if not ok:
        return dict(status=status)
    hashes = {r["generated_hash"] for r in ok}
    return dict(status=status, features=enabled_features(ok[0]["system_info"]), system_info=ok[0]["system_info"],
                median_prompt_tps=statistics.median(r["prompt_tps"] for r in ok),
                median_gen_tps=statistics.median(r["gen_tps"] for r in ok),
                generated_hash=hashes.pop() if len(hashes) == 1 else "varies between runs")


# ---------------------------------------------------------------- answers

def evaluate(builds: dict[str, Path], model: Path, questions: Path) -> tuple[str, dict]:
    outputs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="rag-llama-builds-") as tmp:
        for build, target in builds.items():
            started = time.perf_counter()
            print(f"eval under {build} ...", file=sys.stderr)
            outcome = run_under(target, model, [sys.executable, "-m", "rag.cli", "eval", str(questions), "--json",
                                                "--docs", "seeds", "--index", str(Path(tmp) / "index")],
                                timeout=3600)
            if "stdout" in outcome:
                outcome = json.loads(outcome["stdout"][outcome["stdout"].index("{"):])
            outcome["seconds"] = round(time.perf_counter() - started, 1)
            outputs[build] = outcome
    return format_eval(outputs), outputs


def format_eval(outputs: dict[str, dict]) -> str:
    """Verdicts side by side, then the agreement and, for any question where they differ,
    each build's exact answer."""
    done = {b: {r["id"]: r for r in o["results"]} for b, o in outputs.items() if "results" in o}
    ids = list(dict.fromkeys(i for rows in done.values() for i in rows))
    lines = ["| question | " + " | ".join(outputs) + " | same answer |", "|---|" + "---|" * (len(outputs) + 1)]
    differing = []
    for qid in ids:
        cells, answers = [], set()
        for build, output in outputs.items():
            row = done.get(build, {}).get(qid)
            if row is None:
                cells.append(failure_cell(output))
                continue
            answers.add(row["answer"])
            verdict = "correct" if row["correct"] else "wrong"
            cells.append(f"{verdict}{' (abstained)' if row['abstained'] else ''}")
        same = "-" if len(done) < 2 else "yes" if len(answers) == 1 else "NO"  # among those that answered
        if same == "NO":
            differing.append(qid)
        lines.append(f"| {qid} | " + " | ".join(cells) + f" | {same} |")
    lines.append("")
    for build, output in outputs.items():
        if "results" in output:
            state = (f"{sum(r['correct'] for r in output['results'])} of {len(output['results'])} correct, "
                     f"answer accuracy {output['summary']['answer_accuracy']}")
        else:
            state = f"crashed ({output['crashed']})" if "crashed" in output else f"failed: {output['failed']}"
        lines.append(f"{build}: {state}, {output['seconds']} s")
    if len(done) > 1 and not differing:
        lines.append(f"\nAll {len(ids)} answers are identical across {', '.join(done)}"
                     + ("." if len(done) == len(outputs) else " (the builds that answered)."))
    for qid in differing:
        lines.append(f"\n{qid} differs:")
        lines += [f"  {build}: {rows[qid]['answer']!r}" for build, rows in done.items() if qid in rows]
    return "\n".join(lines)


def failure_cell(output: dict) -> str:
    """A short table cell for a build that gave no answers (the full message is below the table).

    >>> failure_cell({"crashed": "SIGILL"})
    'crashed (SIGILL)'
    >>> failure_cell({"failed": "rag: error: llama.cpp crashed (SIGSEGV) while running m.gguf: ..."})
    'crashed (SIGSEGV), caught by rag.llama_check'
    >>> failure_cell({"failed": "timed out after 3600 s"})
    'failed'
    """
    if "crashed" in output:
        return f"crashed ({output['crashed']})"
    found = re.search(r"llama\.cpp crashed \((\w+)\)", output.get("failed", ""))
    return f"crashed ({found.group(1)}), caught by rag.llama_check" if found else "failed"


# ---------------------------------------------------------------- main

def default_model() -> Path:
    from rag.config import ModelSettings
    from rag.generation import resolve_gguf

    return resolve_gguf(ModelSettings().with_env())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builds", default="portable,native", help="RAG_LLAMA_BUILD values, comma-separated; "
                        "ratios are against the first")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prompt-tokens", type=int, default=400)
    parser.add_argument("--gen-tokens", type=int, default=64)
    parser.add_argument("--model", type=Path, help="GGUF file (default: the one rag answers with)")
    parser.add_argument("--eval", type=Path, metavar="QA.jsonl",
                        help="run `rag eval` under each build and compare the answers, instead of timing")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    model = (args.model or default_model()).resolve()
    machine = cpu_summary()
    header = [f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}", f"CPU: {machine['model']}, {machine['cores']} cores",
              "CPU flags: " + " ".join(f"{f}={'yes' if on else 'no'}" for f, on in machine["flags"].items()),
              f"load average at start: {' '.join(map(str, machine['load_average']))}"]
    print("\n".join(header), file=sys.stderr)

    builds: dict[str, Path] = {}
    broken: dict[str, str] = {}
    for build in args.builds.split(","):
        try:
            builds[build] = install(build, wheel_for(build))
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            broken[build] = str(exc)
    if not builds:
        raise SystemExit("no build could be installed: " + "; ".join(broken.values()))

    if args.eval:
        report, data = evaluate(builds, model, args.eval.resolve())
        name = "llama-builds-eval"
    else:
        report, data = speed(builds, model, args)
        name = "llama-builds"
    header.append(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report = "\n".join(header) + "\n\n" + report
    report += "".join(f"\n\n{b}: not measured: {why}" for b, why in broken.items())
    print(report)
    (RESULTS / f"{name}.md").write_text(report + "\n")
    save(name, dict(machine=machine, model=str(model), builds={b: str(t) for b, t in builds.items()},
                    not_installed=broken, **data))
    print(f"saved {RESULTS / name}.md and .json", file=sys.stderr)


if __name__ == "__main__":
    main()
