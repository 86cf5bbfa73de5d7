import shutil
from pathlib import Path

import pytest

from fakes import HashingEmbedder

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
