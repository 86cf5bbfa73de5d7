"""The values that flow through the pipeline: small, frozen, and free of behaviour.

Document -> Chunk -> Hit -> Citation -> Answer. Nothing here does I/O or touches a model.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """One source file as read from disk.

    `text` is the whole file, decoded, exactly as it is on disk (so character offsets and
    line numbers refer to the real file) for text files. `body_start` is where the content begins: a
    leading `date YYYY-MM-DD` header is metadata, parsed into `date` and kept out of chunks.
    """

    source: str  # path relative to the documents folder, with forward slashes
    text: str
    sha256: str
    body_start: int = 0
    date: str | None = None
    # For PDF, DOCX and HTML files `text` is the text extracted from them (formats.py),
    # which line numbers refer to: `pages` holds the first line of each page (PDF; empty
    # for formats without pages), `sections` (first line, heading path) per heading.
    kind: str = "text"
    pages: tuple[int, ...] = ()
    empty_pages: tuple[int, ...] = ()
    sections: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A passage of one document; `text == document.text[start_char:end_char]`."""

    id: int
    source: str
    text: str
    start_char: int
    end_char: int
    start_line: int  # 1-based, inclusive
    end_line: int  # 1-based, inclusive
    date: str | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk and how well it matches the question, higher is closer.

    `score` ranks the hits of one search: the cosine similarity (-1..1) in dense mode, the
    BM25 score in lexical mode, the reciprocal-rank-fusion score in hybrid mode. `dense`
    and `lexical` keep the two underlying scores where known (None where not computed).
    """

    chunk: Chunk
    score: float
    dense: float | None = None  # cosine similarity to the question
    lexical: float | None = None  # BM25 score (0: no query term in the chunk)

    @property
    def similarity(self) -> float:
        """The cosine similarity where known, else the ranking score: what people are shown."""
        return self.dense if self.dense is not None else self.score


@dataclass(frozen=True)
class Citation:
    """A verified pointer from an answer back to its source.

    `quote` is copied verbatim from the file: `file_text[start_char:end_char] == quote`.
    """

    source: str
    start_line: int
    end_line: int
    quote: str
    score: float  # cosine similarity of the question and the chunk the quote comes from
    start_char: int = 0
    end_char: int = 0
    page: int | None = None  # 1-based page of the quote's first line (PDF); None without pages
    section: str | None = None  # heading path ("Setup > Linux") in DOCX and HTML files

    def to_dict(self) -> dict:
        return _quote_dict(self)


@dataclass(frozen=True)
class Evidence:
    """A sentence (or a few) from a document that answers the question, quoted verbatim.

    `quote == file_text[start_char:end_char]`. `span` is where the short answer sits inside
    the quote (offsets into `quote`), only when a short answer passed verification; None
    when the evidence is shown on its own.
    """

    source: str
    start_line: int
    end_line: int
    quote: str
    score: float  # how well the sentence matches the question's terms (0..1)
    start_char: int = 0
    end_char: int = 0
    span: tuple[int, int] | None = None
    page: int | None = None  # as in Citation
    section: str | None = None

    @property
    def highlighted(self) -> str | None:
        """The short answer's text inside the quote, if there is one."""
        return self.quote[self.span[0]:self.span[1]] if self.span else None

    def to_dict(self) -> dict:
        return {**_quote_dict(self), "answer_span": None if self.span is None else
                {"start": self.span[0], "end": self.span[1], "text": self.highlighted}}


def _quote_dict(quoted) -> dict:
    """The `--json` fields a Citation and an Evidence share."""
    return {"source": quoted.source, "start_line": quoted.start_line, "end_line": quoted.end_line,
            "quote": quoted.quote, "score": round(quoted.score, 4), "page": quoted.page,
            "section": quoted.section}


def place_label(source: str, page: int | None, start_line: int, end_line: int) -> str:
    """Where a quote is, as people read it: the page for a PDF, else the lines.

    >>> place_label("report.pdf", 2, 40, 41), place_label("a.txt", None, 3, 5)
    ('report.pdf, p. 2', 'a.txt:3-5')
    """
    if page is not None:
        return f"{source}, p. {page}"
    return f"{source}:{start_line}" if start_line == end_line else f"{source}:{start_line}-{end_line}"


# What kind of reply an Answer is (Answer.kind):
SHORT = "short"  # a verified short answer, highlighted inside its evidence
EVIDENCE = "evidence"  # no short answer passed, but sentences answer the question's terms
SUMMARY = "summary"  # "summarise/explain" questions: the key sentences, in document order
ABSTAINED = "abstained"  # no passage is relevant enough


@dataclass(frozen=True)
class Answer:
    """What the assistant says about a question.

    When `abstained` is true, `text` says the documents don't hold the answer, `citations`
    is empty and `hits` holds the closest passages, to show instead of an invented answer.
    `draft` is what the model generated, before our grounding check (empty when the model
    was not asked because retrieval found nothing close enough).
    """

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    hits: tuple[Hit, ...] = ()
    draft: str = ""
    reason: str = ""  # why we abstained, for people and logs
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)
    # The sentences that answer, best first (empty when abstained), and the short answer
    # (None unless one passed verification); `kind` is SHORT, EVIDENCE, SUMMARY or ABSTAINED.
    evidence: tuple[Evidence, ...] = ()
    short_answer: str | None = None
    kind: str = ""

    def to_dict(self) -> dict:
        """The `rag ask --json` object: `answer`, `abstained`, `citations` are the contract."""
        return {
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "reason": self.reason,
            "closest": [
                {
                    "source": h.chunk.source,
                    "start_line": h.chunk.start_line,
                    "end_line": h.chunk.end_line,
                    "text": h.chunk.text,
                    "score": round(h.similarity, 4),
                }
                for h in self.hits
            ]
            if self.abstained
            else [],
            "seconds": round(self.seconds, 3),
            "kind": self.kind or (ABSTAINED if self.abstained else SHORT),
            "short_answer": self.short_answer,
            "evidence": [e.to_dict() for e in self.evidence],
        }
