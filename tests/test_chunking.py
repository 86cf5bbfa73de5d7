import re

import pytest

from rag.chunking import chunk_document, line_of, line_starts, split_sentences
from rag.config import ChunkingSettings, LoadingSettings
from rag.loading import find_files, read_document
from rag.types import Document


def _doc(text: str, source="d.txt") -> Document:
    from rag.loading import parse_date_header
    date, start = parse_date_header(text)
    return Document(source, text, "sha", start, date)


def _line_number(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


SAMPLE = (
    "date 2024-03-01\nFirst sentence here. Second one follows!\n\nA heading\n\n"
    + " ".join(f"Sentence number {i} talks about topic {i}." for i in range(40))
    + "\nLast line? Yes.\n"
)


@pytest.mark.parametrize("settings", [ChunkingSettings(20, 5), ChunkingSettings(50, 10), ChunkingSettings(150, 30)])
def test_chunks_are_exact_slices_with_correct_line_spans(settings):
    doc = _doc(SAMPLE)
    chunks = chunk_document(doc, settings)
    assert len(chunks) > 1 or settings.max_words >= 150
    for chunk in chunks:
        assert chunk.text == SAMPLE[chunk.start_char:chunk.end_char]
        assert chunk.start_line == _line_number(SAMPLE, chunk.start_char)
        assert chunk.end_line == _line_number(SAMPLE, chunk.end_char - 1)
        assert len(chunk.text.split()) <= settings.max_words
        assert chunk.date == "2024-03-01"
        assert chunk.start_char >= doc.body_start


def test_header_is_excluded_and_every_sentence_is_covered():
    doc = _doc(SAMPLE)
    chunks = chunk_document(doc, ChunkingSettings(20, 5))
    assert "date 2024" not in chunks[0].text
    covered = set()
    for c in chunks:
        covered.update(range(c.start_char, c.end_char))
    for a, b in split_sentences(SAMPLE, doc.body_start):
        assert set(range(a, b)) <= covered, SAMPLE[a:b]


def test_chunks_end_at_sentence_boundaries_and_overlap():
    doc = _doc(SAMPLE)
    chunks = chunk_document(doc, ChunkingSettings(20, 8))
    for chunk in chunks:
        assert re.search(r"[.!?]$|heading$", chunk.text), chunk.text[-30:]
    for before, after in zip(chunks, chunks[1:]):
        assert after.start_char < before.end_char, "consecutive chunks share a sentence"
        assert after.start_char > before.start_char, "every chunk moves forward"


def test_zero_overlap_gives_disjoint_chunks():
    chunks = chunk_document(_doc(SAMPLE), ChunkingSettings(20, 0))
    for before, after in zip(chunks, chunks[1:]):
        assert after.start_char >= before.end_char


def test_text_without_punctuation_is_split_by_words():
    text = " ".join(f"w{i}" for i in range(1000))
    chunks = chunk_document(_doc(text), ChunkingSettings(100, 10))
    assert len(chunks) >= 10
    assert all(len(c.text.split()) <= 100 for c in chunks)
    assert chunks[-1].text.endswith("w999")


def test_crlf_line_numbers():
    text = "One.\r\nTwo.\r\n\r\nThree is here.\r\n"
    starts = line_starts(text)
    assert line_of(starts, text.index("Three")) == 4
    chunks = chunk_document(_doc(text), ChunkingSettings(10, 0))
    assert (chunks[0].start_line, chunks[-1].end_line) == (1, 4)


def test_seed_chunks_locate_the_minister(seeds_copy):
    found = [f for f in find_files(seeds_copy, LoadingSettings()) if f.source.startswith("003")][0]
    doc = read_document(found, LoadingSettings())
    chunks = chunk_document(doc, ChunkingSettings())
    holding = [c for c in chunks if "Rashid Meredov" in c.text]
    assert holding and holding[0].start_line <= 7 <= holding[0].end_line
    lines = doc.text.splitlines()
    assert "Rashid Meredov" in lines[6]
