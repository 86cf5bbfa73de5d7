import shutil
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
