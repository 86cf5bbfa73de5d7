"""A large real-text corpus for the speed benchmarks, made from the SQuAD 2.0 sample.

The sample holds 390 Wikipedia paragraphs (53k words): far too few for 10,000 chunks. So
each file takes a fixed random draw of paragraphs in a random order: the text is real, and
since chunks straddle paragraph boundaries in new combinations, nearly every chunk is a
new text (the benchmark prints the share of repeats, which an indexer that skips repeated
texts could otherwise exploit).

    files 1000 x 12 paragraphs  ->  about 10,000 chunks of ~200 words
"""
from __future__ import annotations

import random
from pathlib import Path

from squad_corpus import DEFAULT_SQUAD, load_squad

PARAGRAPHS_PER_FILE = 12  # ~1,630 words: about 10 chunks of 200 words per file


def squad_paragraphs(squad: Path = DEFAULT_SQUAD) -> list[str]:
    return [p["context"].strip() for article in load_squad(squad) for p in article["paragraphs"]]


def file_text(paragraphs: list[str], number: int, per_file: int = PARAGRAPHS_PER_FILE) -> str:
    """The text of file `number`: the same paragraphs and order every time for that number.

    >>> file_text(["a.", "b.", "c."], 1, per_file=2) == file_text(["a.", "b.", "c."], 1, per_file=2)
    True
    """
    rng = random.Random(number)
    return "\n\n".join(rng.sample(paragraphs, per_file)) + "\n"


def write_corpus(folder: Path, files: int, squad: Path = DEFAULT_SQUAD, first: int = 0) -> list[Path]:
    """Write files number `first` .. `first + files - 1` as doc-NNNNN.txt; return their paths."""
    paragraphs = squad_paragraphs(squad)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(first, first + files):
        path = folder / f"doc-{number:05d}.txt"
        path.write_text(file_text(paragraphs, number), encoding="utf-8")
        paths.append(path)
    return paths
