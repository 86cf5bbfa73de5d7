"""A llama.cpp build that crashes is caught in a child process: set-up, the app and the CLI
print the cause and the fix and exit non-zero, instead of dying with the process.

Nothing is built here: a stand-in `llama_cpp` package, put first on PYTHONPATH, kills its
own process with SIGSEGV when a model is loaded, like llama.cpp built with -march=native
does on an Intel CPU with AMX.
"""
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rag.errors import ModelError
from rag.llama_check import crash_message, probe

ROOT = Path(__file__).resolve().parent.parent

CRASHING_LLAMA = """
import os, signal

class Llama:
    def __init__(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGSEGV)

def llama_log_callback(f):
    return f

def llama_log_set(*args):
    pass
"""


@pytest.fixture
def crashing_env(tmp_path):
    package = tmp_path / "fake" / "llama_cpp"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(CRASHING_LLAMA)
    return {**os.environ, "PYTHONPATH": str(tmp_path / "fake")}


@pytest.fixture
def gguf(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 64)
    return path


def _assert_cause_and_fix(text: str) -> None:
    assert "llama.cpp crashed (SIGSEGV)" in text, text
    assert "does not run on this CPU" in text
    assert "bash scripts/setup.sh" in text and "RAG_LLAMA_BUILD=portable" in text


def test_probe_turns_a_segfaulting_child_into_a_model_error(crashing_env, gguf, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", crashing_env["PYTHONPATH"])
    with pytest.raises(ModelError) as caught:
        probe(gguf, timeout=60)
    _assert_cause_and_fix(str(caught.value))


def test_a_loader_error_is_reported_as_it_is_not_as_a_crash():
    message = crash_message(Path("m.gguf"), 1, "Traceback ...\nValueError: Failed to load model")
    assert message == "llama.cpp could not run m.gguf: ValueError: Failed to load model"
    assert "SIG" not in crash_message(Path("m.gguf"), 1, "")


def test_setup_check_names_the_cause_and_the_fix_and_fails(crashing_env, gguf):
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("needs the set-up .venv (bash scripts/setup.sh)")
    done = subprocess.run(["bash", "scripts/setup.sh", "--check-only"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**crashing_env, "RAG_MODEL": str(gguf)})
    assert done.returncode != 0
    assert done.stderr.startswith("setup: error: ")
    _assert_cause_and_fix(done.stderr)


@pytest.mark.slow
def test_app_start_up_names_the_cause_and_the_fix_and_fails(crashing_env, gguf, tmp_path):
    shutil.copytree(ROOT / "seeds", tmp_path / "docs")
    done = subprocess.run([sys.executable, "app_gradio.py", "--docs", str(tmp_path / "docs"), "--index",
                           str(tmp_path / "index"), "--model", str(gguf), "--port", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=crashing_env)
    assert done.returncode == 2, done.stderr
    assert "app_gradio: error: " in done.stderr and done.returncode != -signal.SIGSEGV
    _assert_cause_and_fix(done.stderr)


@pytest.mark.slow
def test_cli_ask_names_the_cause_and_the_fix_and_fails(crashing_env, gguf, tmp_path):
    shutil.copytree(ROOT / "seeds", tmp_path / "docs")
    done = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "Who is the Minister of Foreign Affairs "
                           "of Turkmenistan?", "--docs", str(tmp_path / "docs"), "--index",
                           str(tmp_path / "index"), "--model", str(gguf)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=crashing_env)
    assert done.returncode == 2, done.stderr
    assert "rag: error: " in done.stderr
    _assert_cause_and_fix(done.stderr)
