"""Shared by the speed benchmarks: run systems alternately in fresh processes, take medians.

These machines are shared and noisy, so absolute times mean little: each benchmark runs
every system once per repetition, in turn (ours, floor, peer A, peer B, ours, ...), each in
its own process (so peak memory is its own), and reports medians and ratios between them.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
# the peers live in their own venv when benchmarks/setup_bench.sh made one
BENCH_PYTHON = HERE / ".venv" / "bin" / "python"


def offline_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_HUB_DISABLE_TELEMETRY="1", TOKENIZERS_PARALLELISM="false",
               ANONYMIZED_TELEMETRY="False", PYTHONPATH=str(HERE.parent))
    return env


def bench_python() -> str:
    """The interpreter for every system: benchmarks/.venv (with the peers) if it exists, so
    all systems run on the same torch and sentence-transformers; else this one."""
    return str(BENCH_PYTHON) if BENCH_PYTHON.exists() else sys.executable


def run_worker(python: str, script: Path, *args: str, timeout: float = 3600) -> dict:
    """Run a worker script; its last stdout line is a JSON object with its measurements."""
    started = time.perf_counter()
    done = subprocess.run([python, str(script), *args], capture_output=True, text=True,
                          env=offline_env(), timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"{script.name} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


def interleave(systems: list[str], reps: int, run: Callable[[str, int], dict],
               log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> dict[str, list[dict]]:
    """Run each system once per repetition, in turn; return each system's runs."""
    runs: dict[str, list[dict]] = {s: [] for s in systems}
    for rep in range(reps):
        for system in systems:
            result = run(system, rep)
            runs[system].append(result)
            log(f"rep {rep + 1}/{reps} {system}: {json.dumps(_rounded(result))}")
    return runs


def medians(runs: dict[str, list[dict]], key: str) -> dict[str, float]:
    return {s: statistics.median(r[key] for r in rows) for s, rows in runs.items() if rows}


def ratios(values: dict[str, float], against: list[str]) -> dict[str, dict[str, float]]:
    """values[s] / values[other] for every system s and every `against` system.

    >>> ratios({"ours": 2.0, "floor": 1.0}, ["floor"])
    {'ours': {'floor': 2.0}, 'floor': {'floor': 1.0}}
    """
    return {s: {o: round(v / values[o], 3) for o in against if o in values and values[o]}
            for s, v in values.items()}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def save(name: str, data: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def emit(result: dict) -> None:
    """A worker's last line: its measurements as JSON."""
    print(json.dumps(result), flush=True)


def _rounded(result: dict) -> dict:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}
