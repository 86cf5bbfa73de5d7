import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fakes import HashingEmbedder, ScriptedGenerator

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A private copy of seeds/, safe to change."""
    target = tmp_path / "docs"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def scripted_assistant(seeds_copy, tmp_path, embedder):
    """Open an Assistant over the seeds copy whose fake model answers from `script`."""
    from rag import Assistant

    def open_with(script: dict, **options):
        return Assistant.open(seeds_copy, tmp_path / "idx", embedder=embedder,
                              generator=ScriptedGenerator(script), **options)

    return open_with


# A Gemma chat template, given to the default base model so the chat-template path runs for real
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>"
    "{{ 'model' if m['role'] == 'assistant' else 'user' }}\n{{ m['content'] }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


@pytest.fixture(scope="module")
def chat_gguf(tmp_path_factory) -> Path:
    """The default GGUF with CHAT_TEMPLATE written into its metadata (gguf-new-metadata)."""
    from rag.config import ModelSettings
    from rag.generation import resolve_gguf

    tool = Path(sys.executable).parent / "gguf-new-metadata"
    if not tool.exists():
        pytest.skip("needs the gguf package: bash scripts/setup.sh --test")
    base = resolve_gguf(ModelSettings().with_env())
    target = tmp_path_factory.mktemp("chat") / "gemma-with-template.gguf"
    subprocess.run([str(tool), "--chat-template", CHAT_TEMPLATE, "--force", str(base), str(target)],
                   check=True, capture_output=True)
    return target
