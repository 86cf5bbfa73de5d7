"""Pure: scored evidence + the reader's drafts -> what the assistant says, and its proof.

The reply leads with evidence (sentences quoted from the files). A short answer is added,
highlighted inside its evidence sentence, only when it is found verbatim in the sentence it
was read from and passes every rule in answer_rules.py. When no short answer passes but a
sentence clearly carries the question's terms, the reply is that sentence ("From a.txt,
lines 4-5: ..."). When no sentence is relevant enough, the assistant abstains.

No I/O and no models: callers pass the files' current text and the drafts.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .answer_entities import document_subjects
from .answer_rules import evidence_problem, heading_problem, quote_type_problem, span_problem
from .answer_types import _WORD
from .chunking import line_of, line_starts
from .evidence import ScoredWindow, is_label, question_stems, score_windows
from .lexical import terms
from .manual_entries import entry_head
from .types import ABSTAINED, EVIDENCE, SHORT, SUMMARY, Citation, Evidence

_TRIM = " \t\n\"'“”‘’`.,;:!?()[]"


@dataclass(frozen=True)
class Reading:
    """One draft of the reader, with the evidence window it read."""

    scored: ScoredWindow
    draft: str


@dataclass(frozen=True)
class Checked:
    reading: Reading
    evidence: Evidence | None  # with the span highlighted, when the draft passed
    problem: str | None  # why it failed, or None


@dataclass(frozen=True)
class Reply:
    kind: str  # SHORT, EVIDENCE, SUMMARY or ABSTAINED
    text: str
    short_answer: str | None
    evidence: tuple[Evidence, ...]
    reason: str = ""
    citations: tuple[Citation, ...] = ()  # the evidence as citations (score: chunk cosine)


def _reply(kind: str, text: str, short: str | None, proofs: list[tuple[Evidence, Citation]],
           reason: str = "") -> Reply:
    return Reply(kind, text, short, tuple(e for e, _ in proofs), reason, tuple(c for _, c in proofs))


def citation_of(e: Evidence, scored: ScoredWindow) -> tuple[Evidence, Citation]:
    """The evidence with its citation, whose score is the cosine of question and chunk."""
    return e, Citation(e.source, e.start_line, e.end_line, e.quote, scored.window.hit.similarity,
                       e.start_char, e.end_char)


def clean_draft(draft: str) -> str:
    """The draft's first line, without quotes, brackets or a closing full stop.

    >>> clean_draft(' "Tashkent, Uzbekistan." [1]\\nQuestion: x')
    'Tashkent, Uzbekistan'
    """
    first = re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", "", draft.strip().split("\n", 1)[0])
    return first.strip(_TRIM)


def locate(span: str, text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Where `span` occurs in text[start:end] as whole words, case and spacing aside.

    >>> t = "It runs in 1024 ms, or 10 s."
    >>> locate("10", t, 0, len(t)), locate("1024  MS", t, 0, len(t))
    ([(23, 25)], [(11, 18)])
    """
    words = span.split()
    if not words:
        return []
    pattern = r"\s+".join(re.escape(w) for w in words)
    found = []
    for m in re.finditer(rf"(?<![\w-]){pattern}(?![\w])", text[start:end], re.IGNORECASE):
        found.append((start + m.start(), start + m.end()))
    return found


def anchors(question: str, text: str, start: int, end: int, sentence_start: int) -> list[int]:
    """Offsets of the question's terms in text[start:end]. When the quote starts before
    the sentence (the sentence refers back), its first word anchors too: it stands for the
    sentence before, which holds the question's terms.

    >>> t = "Madrakhimov meets Hajiyev. This encounter in Tashkent was long."
    >>> anchors("Where did Madrakhimov meet Hajiyev?", t, 0, len(t), 27)
    [0, 12, 18, 27]
    """
    wanted = set(question_stems(question))
    found = [start + m.start() for m in _WORD.finditer(text[start:end])
             if set(terms(m.group())) & wanted]
    if start < sentence_start:
        found.append(sentence_start)  # "This encounter ..." stands for the sentence before
    return sorted(found)


def evidence_of(scored: ScoredWindow, text: str, span: tuple[int, int] | None = None) -> Evidence:
    """The window's quote (file offsets) as Evidence; `span` in file offsets, if any."""
    w = scored.window
    starts = line_starts(text)
    a, b = w.context_start, w.end
    return Evidence(w.hit.chunk.source, line_of(starts, a), line_of(starts, b - 1), text[a:b],
                    scored.score, a, b, None if span is None else (span[0] - a, span[1] - a))


def check_reading(question: str, reading: Reading, text: str, min_coverage: float,
                  max_gap: int = 12, best_coverage: float = 0.0, margin: float = 1.0) -> Checked:
    """Whether the draft is a short answer this window supports, for this question.

    The window must carry `min_coverage` of the question's terms, and no less than the
    best evidence sentence's share (`best_coverage`) minus `margin`: a sentence that
    misses what another one has ("retries") answers a neighbouring question.
    """
    scored = reading.scored
    w = scored.window
    span = clean_draft(reading.draft)
    if not span:
        return Checked(reading, None, "the model gave no answer")
    needed = max(min_coverage, best_coverage - margin)
    if scored.coverage < needed:
        return Checked(reading, None, f"the sentence it was read from carries too few of the "
                                      f"question's terms ({scored.coverage:.2f} < {needed:.2f})")
    places = locate(span, text, w.context_start, w.end)
    if not places:
        return Checked(reading, None, f"{span!r} is not in the sentence it was read from")
    marks = anchors(question, text, w.context_start, w.end, w.start)
    problem = None
    for a, b in places:
        line_start = text.rfind("\n", 0, a) + 1
        line_end = text.find("\n", b)
        line = text[line_start: len(text) if line_end < 0 else line_end]
        problem = span_problem(question, text[a:b], text, a, b, line, marks,
                               w.context_start, w.end, w.hit.chunk.source, max_gap)
        if problem is None:
            return Checked(reading, evidence_of(scored, text, (a, b)), None)
    return Checked(reading, None, f"{span!r}: {problem}")


def choose(checked: list[Checked]) -> Checked | None:
    """The passing reading most others agree with; ties go to the better-ranked window.

    >>> from rag.evidence import ScoredWindow
    >>> def c(draft, ok=True): return Checked(Reading(None, draft), object() if ok else None, None if ok else "x")
    >>> choose([c("the Deputy Minister"), c("Sub-Regional Coordinator"), c("the Sub-Regional coordinator of the IOM")]).reading.draft
    'Sub-Regional Coordinator'
    """
    passed = [c for c in checked if c.evidence is not None]
    if not passed:
        return None
    words = [set(terms(c.reading.draft)) for c in passed]

    def votes(i):
        return sum(1 for j in range(len(passed)) if words[i] <= words[j] or words[j] <= words[i])

    return passed[max(range(len(passed)), key=lambda i: (votes(i), -i))]


def evidence_line(e: Evidence) -> str:
    """
    >>> evidence_line(Evidence("man_tar.txt", 40, 41, "It  filters\\nthrough gzip.", 0.8))
    'From man_tar.txt, lines 40–41: "It filters through gzip."'
    """
    lines = f"line {e.start_line}" if e.start_line == e.end_line else f"lines {e.start_line}–{e.end_line}"
    return f'From {e.source}, {lines}: "{" ".join(e.quote.split())}"'


def order_evidence(question: str, scored: list[ScoredWindow]) -> list[ScoredWindow]:
    """Headings, an option's bare name line, and sentences without the kind of answer
    asked for (no number for "how many") go after the rest; the order is otherwise kept.

    >>> from rag.evidence import ScoredWindow, Window
    >>> def sw(text): return ScoredWindow(Window(None, 0, 1, 0, text, text), 0, 0, 0)
    >>> [s.window.sentence for s in order_evidence("How many lines?", [sw("SYNOPSIS"), sw("Prints lines."), sw("Prints 10 lines.")])]
    ['Prints 10 lines.', 'SYNOPSIS', 'Prints lines.']
    """
    def unfit(s: ScoredWindow) -> bool:
        return bool(heading_problem(s.window.sentence) or is_label(s.window.sentence)
                    or quote_type_problem(question, s.window.quoted_text))

    return [s for s in scored if not unfit(s)] + [s for s in scored if unfit(s)]


def best_coverage(question: str, scored: list[ScoredWindow], texts: dict[str, str] | None = None) -> float:
    """The highest share of the question's terms among sentences that could be evidence
    (an example's line that names no default doesn't set the bar for the one that does);
    of all sentences when none could be.

    >>> from rag.evidence import ScoredWindow, Window
    >>> def sw(text, cov): return ScoredWindow(Window(None, 0, 1, 0, text, text), cov, 0, 0)
    >>> best_coverage("How many octets by default?", [sw("Print 20 octets.", 0.8), sw("Default 16.", 0.6)])
    0.6
    """
    return max((s.coverage for s in scored if not problem_of(question, s, texts)),
               default=max((s.coverage for s in scored), default=0.0))


def problem_of(question: str, scored: ScoredWindow, texts: dict[str, str] | None = None) -> str | None:
    """Why this sentence can't be shown as evidence (answer_rules.evidence_problem), with
    its document's subjects and the option entry it sits in when its file's text is known."""
    w = scored.window
    source = w.hit.chunk.source if w.hit else ""
    text = texts.get(source) if texts else None
    subjects = document_subjects(text) if text is not None else frozenset()
    return evidence_problem(question, w.sentence, w.quoted_text, source, subjects, entry_head_of(w, texts))


def ranked_evidence(question: str, windows: list, cosines: list[float], idf, texts: dict[str, str],
                    g) -> list[ScoredWindow]:
    """The windows of current chunks scored as evidence with the grounding settings `g`,
    in the order they are quoted (order_evidence)."""
    scored = score_windows(question, windows, cosines, idf, g.coverage_weight, g.rank_weight, g.context_weight,
                           g.entry_weight, functools.partial(entry_head_of, texts=texts))
    return order_evidence(question, [s for s in scored if is_current(s, texts)])


def entry_head_of(window, texts: dict[str, str] | None) -> str:
    """The head of the option entry a window sits in (manual_entries.py), "" when none or
    when its file's text is not known."""
    text = texts.get(window.hit.chunk.source) if texts and window.hit else None
    return entry_head(text, window.start) if text is not None else ""


def is_current(scored: ScoredWindow, texts: dict[str, str]) -> bool:
    """Whether the window's chunk still matches its file (an edited file makes it stale)."""
    chunk = scored.window.hit.chunk
    text = texts.get(chunk.source)
    return text is not None and text[chunk.start_char:chunk.end_char] == chunk.text


def compose(question: str, scored: list[ScoredWindow], checked: list[Checked],
            texts: dict[str, str], min_evidence: float, most_evidence: int = 2,
            min_evidence_only: float = 0.0) -> Reply:
    """The reply: a verified short answer in its evidence, else the evidence, else nothing.
    A reply of evidence alone needs a sentence scoring `min_evidence_only`, if that is higher."""
    relevant = [s for s in scored if s.score >= min_evidence and is_current(s, texts)
                and not is_label(s.window.sentence)]
    usable = [s for s in relevant if not problem_of(question, s, texts)]
    best = choose(checked)
    if best is not None:
        first = citation_of(best.evidence, best.reading.scored)
        others = [s for s in usable
                  if (s.window.hit.chunk.source, s.window.context_start) != (first[0].source, first[0].start_char)]
        rest = [citation_of(evidence_of(s, texts[s.window.hit.chunk.source]), s) for s in others[: most_evidence - 1]]
        span = first[0].highlighted
        return _reply(SHORT, span, span, [first, *rest])
    reasons = "; ".join(dict.fromkeys(c.problem for c in checked if c.problem))
    if not usable:
        top = f"{scored[0].score:.2f}" if scored else "none"
        why = (f"no sentence carries the question's terms (best evidence score {top}, needs {min_evidence:.2f})"
               if not relevant else f"the closest sentences were set aside: {problem_of(question, relevant[0], texts)}")
        return Reply(ABSTAINED, "", None, (), why + (f"; {reasons}" if reasons else ""))
    if usable[0].score < min_evidence_only:
        return Reply(ABSTAINED, "", None, (), f"no short answer passed verification, and no sentence is close "
                                              f"enough to quote alone (best {usable[0].score:.2f}, needs "
                                              f"{min_evidence_only:.2f})" + (f"; {reasons}" if reasons else ""))
    proofs = [citation_of(evidence_of(s, texts[s.window.hit.chunk.source]), s) for s in usable[:most_evidence]]
    return _reply(EVIDENCE, evidence_line(proofs[0][0]), None, proofs,
                  "no short answer passed verification" + (f": {reasons}" if reasons else ""))


def summary(windows: list[ScoredWindow], texts: dict[str, str]) -> Reply:
    """The key sentences, quoted in document order, for summarise/explain requests."""
    proofs = [citation_of(evidence_of(s, texts[s.window.hit.chunk.source]), s) for s in windows
              if is_current(s, texts)]
    if not proofs:
        return Reply(ABSTAINED, "", None, (), "no passage is close enough to summarise")
    body = " ".join(" ".join(e.quote.split()) for e, _ in proofs)
    return _reply(SUMMARY, f"From {proofs[0][0].source}: {body}", None, proofs)
