import subprocess
import sys

import rag


def test_all_is_sorted_and_exported():
    assert rag.__all__ == sorted(rag.__all__)
    assert all(hasattr(rag, name) for name in rag.__all__)
    public = {name for name in dir(rag) if not name.startswith("_") and name[0].isupper()}
    assert public == {name for name in rag.__all__ if name[0].isupper()}


def test_the_seams_assistant_open_takes_are_exported():
    """What `Assistant.open` and `evaluate` take can be imported from `rag` itself."""
    import inspect

    for name in ("Embedder", "Generator", "Settings", "LoadingSettings", "ChunkingSettings",
                 "RetrievalSettings", "GenerationSettings", "GroundingSettings", "ModelSettings",
                 "evaluate", "load_questions"):
        assert name in rag.__all__, name
    opened = inspect.signature(rag.Assistant.open).parameters
    assert {"embedder", "generator", "settings"} <= set(opened)


def test_import_and_help_stay_light():
    code = "import sys, rag, rag.cli; print(any(m in sys.modules for m in ('torch', 'llama_cpp', 'gradio', 'sentence_transformers')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
