"""Does llama.cpp, as built here, run a GGUF on this CPU? Asked of a child process first.

A llama.cpp build can crash the whole process instead of raising: a build compiled with
-march=native on an Intel CPU with AMX segfaults on its first decode, and a build for a
newer CPU than this one dies of an illegal instruction. So before a GGUF is first loaded
in-process, a child process loads it and generates a few tokens. A child killed by a
signal becomes a ModelError that names the cause (the llama.cpp build for this CPU) and
the fix, instead of a dead app. A passed check is remembered (keyed by the llama.cpp
library files, the model file and the CPU), so later starts pay nothing.

    python -m rag.llama_check [--model PATH]    # what scripts/setup.sh runs

This module does not build anything: scripts/build_llama.sh does.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import signal
import subprocess
import sys
from pathlib import Path

from .errors import ModelError

PROBE_SECONDS = 300  # a large GGUF on a slow disk takes a while to map; 270M takes ~1 s
_PASSED: set[str] = set()  # keys checked in this process

# What the child runs: load, then decode a prompt and a few tokens (the crash is in decode).
_CHILD = """
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=256, n_threads=1, verbose=False)
out = llm.create_completion("The capital of France is", max_tokens=4, temperature=0.0)
print("ok", repr(out["choices"][0]["text"]))
"""

FIX = ("rebuild llama-cpp-python with the portable flags: delete .venv/.llama-build and run "
       "bash scripts/setup.sh (RAG_LLAMA_BUILD=portable, the default; see scripts/build_llama.sh)")


def crash_message(model: Path, returncode: int, stderr: str) -> str:
    """The error for a child that did not come back with "ok".

    >>> crash_message(Path("m.gguf"), -11, "")[:86]
    'llama.cpp crashed (SIGSEGV) while running m.gguf: the llama.cpp build does not run on '
    >>> crash_message(Path("m.gguf"), 1, "ValueError: Failed to load model from file")
    'llama.cpp could not run m.gguf: ValueError: Failed to load model from file'
    """
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return (f"llama.cpp crashed ({name}) while running {model}: the llama.cpp build does not "
                f"run on this CPU (a build made with -march=native, or for another CPU, does this; "
                f"Intel CPUs with AMX crash in its AMX code); {FIX}")
    last = [line for line in stderr.strip().splitlines() if line.strip()]
    detail = last[-1] if last else f"exit code {returncode}"
    return f"llama.cpp could not run {model}: {detail}"


def _identity(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:missing"
    return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def build_key(model: Path) -> str | None:
    """What a passed check depends on: the llama_cpp package's files, the model, the CPU."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.origin:
        return None
    package = Path(spec.origin).parent
    libraries = sorted(p for p in package.rglob("*") if p.suffix in (".so", ".dylib", ".dll")
                       or p.name == "__init__.py")
    parts = [_identity(p) for p in libraries] + [_identity(model), platform.machine(), _cpu_flags()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def _cpu_flags() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return line
    except OSError:
        pass
    return platform.processor()


def _record_file() -> Path:
    from .generation import default_models_dir

    return default_models_dir() / ".llama-checks.json"


def _recorded() -> set[str]:
    try:
        return set(json.loads(_record_file().read_text()))
    except (OSError, ValueError, TypeError):
        return set()


def _remember(key: str) -> None:
    keys = sorted(_recorded() | {key})[-50:]
    target = _record_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_text(json.dumps(keys))
        os.replace(partial, target)
    except OSError:
        pass  # an unwritable models folder only means the check runs again next time


def probe(model: Path, timeout: float = PROBE_SECONDS) -> None:
    """Run the model for a few tokens in a child process; a ModelError if that fails."""
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(model)], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ModelError(f"llama.cpp did not run {model} within {timeout:.0f} s in a test process; "
                         f"check that the file is a complete GGUF and that the machine has the "
                         f"memory for it") from None
    if done.returncode != 0 or not done.stdout.startswith("ok"):
        raise ModelError(crash_message(model, done.returncode, done.stderr))


def ensure_runs(model: Path) -> None:
    """Check once per build, model and CPU that llama.cpp runs `model` without crashing."""
    key = build_key(Path(model))
    if key is not None and (key in _PASSED or key in _recorded()):
        return
    probe(Path(model))
    if key is not None:
        _PASSED.add(key)
        _remember(key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.llama_check",
                                     description="Check that llama.cpp runs the answering model here.")
    parser.add_argument("--model", help="GGUF file (default: the one rag answers with)")
    args = parser.parse_args(argv)
    from .config import ModelSettings
    from .errors import RagError
    from .generation import resolve_gguf

    try:
        model = resolve_gguf(ModelSettings(gguf_path=args.model).with_env())
        ensure_runs(model)
    except RagError as exc:
        print(f"setup: error: {exc}", file=sys.stderr)
        return 1
    print(f"setup: llama.cpp runs {model.name} on this CPU", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
