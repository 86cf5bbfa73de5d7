"""Pure: does a short answer (a name, number, option or phrase) answer *this* question?

A quote that exists in a file is not enough: the 270M reader happily copies the man
page's title line, another number from the same page, or the place of a different
meeting. Each rule below is one small function that returns why a span fails, or None;
`span_problem` applies them in order. The evidence sentence's own relevance (its share of
the question's distinctive terms) is checked in evidence.py; the rules on the kind of
answer asked for live in answer_types.py, those on what the question names in
answer_entities.py.

No I/O and no models.
"""
from __future__ import annotations

import bisect
import re

from .answer_entities import document_subjects, entity_problem, owner_problem
from .answer_types import _OPTION, _TYPED, _WORD, expected_type, quote_type_problem, type_problem
from .lexical import terms
from .manual_entries import entry_head

_TITLE_LINE = re.compile(r"^\s*(?:#{1,6}\s|\S+\(\d\w*\)(?:\s|$))")

def restates_question(question: str, span: str) -> str | None:
    """Why the span only repeats the question's own terms, or None.

    >>> restates_question("Who did Muzaffar Madrakhimov meet?", "Muzaffar Madrakhimov")
    "'Muzaffar Madrakhimov' only repeats the question"
    >>> restates_question("Who did Muzaffar Madrakhimov meet?", "Zeynal Hajiyev") is None
    True
    """
    span_terms = set(terms(span)) or {w.lower() for w in _WORD.findall(span)}
    asked = set(terms(question)) | {w.lower() for w in _WORD.findall(question)}
    if not span_terms - asked and not _OPTION.search(span) or not span.strip():
        return f"{span!r} only repeats the question"
    return None


def heading_problem(line: str) -> str | None:
    """Why the line a span comes from is a title or heading rather than a statement.

    >>> heading_problem("TAR(1)            GNU TAR Manual            TAR(1)")
    'it comes from a title or heading line, not a statement'
    >>> heading_problem("## Installation"), heading_problem("SYNOPSIS") is not None
    ('it comes from a title or heading line, not a statement', True)
    >>> heading_problem("The -z option filters the archive through gzip.") is None
    True
    """
    stripped = line.strip()
    letters = [c for c in stripped if c.isalpha()]
    if _TITLE_LINE.match(stripped):
        return "it comes from a title or heading line, not a statement"
    if letters and all(c.isupper() for c in letters) and len(stripped.split()) <= 8:
        return "it comes from a title or heading line, not a statement"
    return None


def _word_starts(text: str, start: int = 0, end: int | None = None) -> list[int]:
    """Where each word of text[start:end] starts: offsets, for `_words_before`."""
    return [m.start() for m in _WORD.finditer(text, start, len(text) if end is None else end)] or [start]


def _words_before(starts: list[int], offset: int) -> int:
    """How many of the words (by their start offsets, sorted) begin before `offset`."""
    return bisect.bisect_left(starts, offset)


def distance_problem(window_text: str, span_start: int, span_end: int, anchors: list[int],
                     max_gap: int = 12, start: int = 0, end: int | None = None) -> str | None:
    """Why the span is too far from the question's terms in its sentence, or None.

    `anchors` are character offsets (in `window_text`) of the question's terms found
    there; the span must sit within `max_gap` words of one of them, in the part of the
    sentence they point at, not in another clause about something else. Words are
    counted in window_text[start:end], which holds the span and the anchors.

    >>> t = "The -v option inverts the match, while -i makes it ignore case."
    >>> distance_problem(t, t.index("-i"), t.index("-i") + 2, [t.index("ignore")]) is None
    True
    >>> print(distance_problem(t, t.index("-v"), t.index("-v") + 2, [t.index("ignore")], max_gap=5))
    it sits 8 words from the question's terms (at most 5)
    """
    if not anchors:
        return "no term of the question is near it"
    words = _word_starts(window_text, start, end)
    a, b = _words_before(words, span_start), _words_before(words, span_end)
    gap = min(max(0, _words_before(words, x) - b, a - _words_before(words, x) - 1) for x in anchors)
    if gap > max_gap:
        return f"it sits {gap} words from the question's terms (at most {max_gap})"
    return None


def default_problem(question: str, quoted: str) -> str | None:
    """Why the quote can't tell a default the question asks for: it never says "default"
    (an example's value is not the default).

    >>> default_problem("How many octets per line does xxd print by default?",
    ...                 "Print 120 bytes as hexdump with 20 octets per line.")
    'the question asks for a default but the sentence names none'
    >>> default_problem("How many octets by default?", "Default 16 (-i: 12).") is None
    True
    """
    if re.search(r"\bdefault", question, re.IGNORECASE) and not re.search(r"\bdefault", quoted, re.IGNORECASE):
        return "the question asks for a default but the sentence names none"
    return None


def evidence_problem(question: str, sentence: str, quoted: str, source: str,
                     subjects: frozenset[str] = frozenset(), entry: str = "") -> str | None:
    """Why a sentence can't be shown as the answer's evidence: it is a heading, it misses
    what the question names, it holds nothing of the kind asked for (no number for
    "how many", no option for "which option"), or it says no default when one is asked for.

    >>> evidence_problem("How many lines does head print?", "Print the first lines.", "Print the first lines.", "man_head.txt")
    'the question asks for a number but the answer holds none'
    >>> evidence_problem("How many lines does head print?", "Print the first 10 lines.", "Print the first 10 lines.", "man_head.txt") is None
    True
    """
    return (heading_problem(sentence) or entity_problem(question, quoted, source, subjects, entry)
            or quote_type_problem(question, quoted)
            or default_problem(question, quoted))


def rival_problem(question: str, text: str, start: int, end: int, span_start: int, span_end: int,
                  anchors: list[int]) -> str | None:
    """Why another token of the asked-for kind (another option, number or year) in the
    same quote text[start:end] is the better answer: it sits closer to the question's terms.

    >>> t = "The -v option inverts matching, while -i makes the matching ignore case."
    >>> marks = [t.index("ignore"), t.index("case"), t.index("matching ignore")]
    >>> rival_problem("Which option ignores case?", t, 0, len(t), 4, 6, marks)
    "'-i' sits closer to the question's terms"
    >>> rival_problem("Which option ignores case?", t, 0, len(t), t.index("-i"), t.index("-i") + 2, marks) is None
    True
    """
    pattern = _TYPED.get(expected_type(question))
    if pattern is None or not anchors:
        return None
    words = _word_starts(text, start, end)
    marks = [_words_before(words, x) for x in anchors]

    def spread(a: int, b: int) -> float:
        first, last = _words_before(words, a), _words_before(words, b)
        return sum(max(0, k - last, first - k - 1) for k in marks) / len(marks)

    mine = spread(span_start, span_end)
    for m in pattern.finditer(text, start, end):
        if m.end() <= span_start or m.start() >= span_end:
            if spread(m.start(), m.end()) + 1 <= mine:
                return f"{m.group()!r} sits closer to the question's terms"
    return None


def length_problem(span: str, max_words: int = 16) -> str | None:
    """
    >>> length_problem("Tashkent"), length_problem("word " * 20)
    (None, 'a short answer has at most 16 words; this has 20')
    """
    n = len(span.split())
    return None if n <= max_words else f"a short answer has at most {max_words} words; this has {n}"


def span_problem(question: str, span: str, window_text: str, span_start: int, span_end: int,
                 line: str, anchors: list[int], quote_start: int, quote_end: int, source: str = "",
                 max_gap: int = 12) -> str | None:
    """The first rule the span breaks, or None when it may be shown as the short answer.
    `window_text` is the file's text (offsets are into it); the evidence quote is
    window_text[quote_start:quote_end]."""
    quoted = window_text[quote_start:quote_end]
    return (length_problem(span) or restates_question(question, span)
            or heading_problem(line) or type_problem(question, span)
            or entity_problem(question, quoted, source, document_subjects(window_text),
                              entry_head(window_text, quote_start))
            or default_problem(question, quoted)
            or owner_problem(question, window_text, span_start)
            or rival_problem(question, window_text, quote_start, quote_end, span_start, span_end, anchors)
            or distance_problem(window_text, span_start, span_end, anchors, max_gap, quote_start, quote_end))
