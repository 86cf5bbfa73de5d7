"""Pure: a Document -> overlapping Chunks that end at sentence boundaries.

Every chunk is an exact slice of the original file text, so its character span and line
span point at the real file, and any quote taken from it can be checked against the file.
No I/O and no models here.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from .config import ChunkingSettings
from .types import Chunk, Document

# A sentence ends at . ! or ? (plus closing quotes/brackets) followed by white space.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s)")
# A blank line, or a newline before a markdown heading, list item or table row.
_BLOCK_BREAK = re.compile(r"\n[ \t]*(?:\n\s*|(?=[#>|*+-]|\d+[.)]\s))")
# A line in capitals ("SYNOPSIS", "SEE ALSO": a manual's section heading) stands alone.
_HEADING_LINE = re.compile(r"^[ \t]*[A-Z][A-Z0-9 _/&-]{2,40}[ \t]*$", re.MULTILINE)
# "Dr. Smith", "e.g. this", "U. S." are not sentence ends.
_NOT_AN_END = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|e\.g|i\.e|No|Nos|Art|Fig)|\b[A-Z])\.$")
_WORD = re.compile(r"\S+")


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of sentences and blocks in text[start:end], white space trimmed.

    >>> t = "Hello there. Dr. Who came.\\n\\nHeading\\nNext line.\\nSEE ALSO\\n  man(1)"
    >>> [t[a:b] for a, b in split_sentences(t)]
    ['Hello there.', 'Dr. Who came.', 'Heading\\nNext line.', 'SEE ALSO', 'man(1)']
    """
    end = len(text) if end is None else end
    cuts = {start, end}
    for block in _BLOCK_BREAK.finditer(text, start, end):
        cuts.add(block.start())
        cuts.add(block.end())
    for heading in _HEADING_LINE.finditer(text, start, end):
        cuts.add(heading.start())
        cuts.add(heading.end())
    for match in _SENTENCE_END.finditer(text, start, end):
        if not _NOT_AN_END.search(text, max(start, match.start() - 5), match.start() + 1):
            cuts.add(match.end())
    spans = []
    ordered = sorted(cuts)
    for a, b in zip(ordered, ordered[1:]):
        a, b = _trim(text, a, b)
        if a < b:
            spans.append((a, b))
    return spans


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _split_long(text: str, span: tuple[int, int], max_words: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than max_words into word windows (for text without punctuation)."""
    words = [m.span() for m in _WORD.finditer(text, *span)]
    if len(words) <= max_words:
        return [span]
    return [
        (words[i][0], words[min(i + max_words, len(words)) - 1][1])
        for i in range(0, len(words), max_words)
    ]


def _word_count(text: str, span: tuple[int, int]) -> int:
    return sum(1 for _ in _WORD.finditer(text, *span))


def _group(units: list[tuple[int, int, int]], settings: ChunkingSettings) -> Iterator[tuple[int, int]]:
    """Group (start, end, words) sentences into windows of <= max_words, sharing overlap_words.

    A window holds whole sentences; the next window starts with the last sentences of the
    previous one that fit in overlap_words, so it always advances by at least one sentence.
    """
    i = 0
    while i < len(units):
        j, words = i, 0
        while j < len(units) and (j == i or words + units[j][2] <= settings.max_words):
            words += units[j][2]
            j += 1
        yield i, j
        if j >= len(units):
            return
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1][2] <= settings.overlap_words:
            back -= 1
            carried += units[back][2]
        i = back


def line_starts(text: str) -> list[int]:
    """Offsets where each line begins: line n (1-based) starts at result[n - 1]."""
    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]


def line_of(starts: list[int], offset: int) -> int:
    """1-based line number holding character `offset`."""
    return bisect.bisect_right(starts, offset)


def chunk_document(doc: Document, settings: ChunkingSettings, first_id: int = 0) -> list[Chunk]:
    """Split a document's body into chunks with exact character and line spans.

    >>> from rag.types import Document
    >>> doc = Document("a.txt", " date 2024-01-02 One two. Three four.\\nFive six.", "x", 17, "2024-01-02")
    >>> [(c.text, c.start_line, c.end_line) for c in chunk_document(doc, ChunkingSettings(10, 2))]
    [('One two. Three four.\\nFive six.', 1, 2)]
    """
    text = doc.text
    units = []
    for span in split_sentences(text, doc.body_start):
        for piece in _split_long(text, span, settings.max_words):
            units.append((piece[0], piece[1], _word_count(text, piece)))
    starts = line_starts(text)
    chunks = []
    for i, j in _group(units, settings):
        a, b = units[i][0], units[j - 1][1]
        chunks.append(
            Chunk(
                id=first_id + len(chunks),
                source=doc.source,
                text=text[a:b],
                start_char=a,
                end_char=b,
                start_line=line_of(starts, a),
                end_line=line_of(starts, b - 1),
                date=doc.date,
            )
        )
    return chunks
