import subprocess
import sys

import rag


def test_all_is_sorted_and_exported():
    assert rag.__all__ == sorted(rag.__all__)
    public = {name for name in dir(rag) if not name.startswith("_") and name[0].isupper()}
    assert public == set(rag.__all__)


def test_import_and_help_stay_light():
    code = "import sys, rag, rag.cli; print(any(m in sys.modules for m in ('torch', 'llama_cpp', 'gradio', 'sentence_transformers')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
