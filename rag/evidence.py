"""Pure: which sentences of the retrieved passages answer the question, and how well.

Every answer leads with evidence: sentences copied from the documents. A sentence is
evidence for a question when it carries the question's *distinctive* terms, weighted by
their rarity in the corpus (BM25's IDF): "Madrakhimov" weighs far more than "Uzbekistan"
in a corpus about Uzbekistan, and a term no document holds weighs most of all, so a
sentence that shares only a country and a year with the question scores low. A sentence
that opens by pointing back ("This encounter in Tashkent ...") is read together with the
sentence before it, which is quoted too.

The score mixes that IDF-weighted coverage with the embedding cosine of question and
sentence (paraphrases share no words). No I/O and no models: callers pass the cosines and
an IDF function.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from .chunking import split_sentences
from .lexical import terms
from .manual_entries import OPTION_LINE, PARAGRAPH_BREAK
from .types import Hit

# Words that frame a question without naming its subject.
_FRAME_WORDS = """what which who whom whose when where why how many much does do did is are was were
can could should would will may might name list give tell explain describe summarize summarise
please kind type value mean means meaning happen happens happened between among say says said
mention mentions mentioned manual page readme documentation docs document documents text
according year years date dates day days month months number numbers amount percentage
cover covers covered include includes included contain contains contained""".split()
# A sentence that opens with one of these continues the one before it.
_REFERS_BACK = re.compile(
    r"^\W*(?:this|these|that|those|it|its|he|she|his|her|they|their|them|there|here|such|"
    r"both|the same|the latter|the former)\b", re.IGNORECASE)
_SUMMARY_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:summari[sz]e|sum up|give (?:me )?(?:a |an )?(?:summary|overview)|"
    r"(?:can you |could you )?explain|describe|outline|tl;?dr|what (?:does|do) .{1,80} say\b)",
    re.IGNORECASE)


# Irregular forms that stemming leaves apart ("Who wrote it?" / "Written by ...").
_IRREGULAR = {w: base for base, forms in {
    "write": "wrote written writes writing", "meet": "met meets meeting", "run": "ran runs running",
    "make": "made makes making", "find": "found finds finding", "give": "gave given gives",
    "take": "took taken takes", "begin": "began begun begins", "build": "built builds building",
    "choose": "chose chosen chooses", "hold": "held holds", "lead": "led leads leading",
    "send": "sent sends sending", "keep": "kept keeps keeping", "leave": "left leaves",
    "read": "reads reading", "say": "said says", "sell": "sold sells", "tell": "told tells",
    "think": "thought thinks", "win": "won wins winning", "bring": "brought brings",
    "buy": "bought buys", "create": "created creates creating", "author": "authored authors",
}.items() for w in forms.split()}


def evidence_terms(text: str) -> list[str]:
    """BM25's terms, with irregular verb forms brought to one stem.

    >>> evidence_terms("Who wrote head?"), evidence_terms("Written by David")
    (['who', 'write', 'head'], ['write', 'david'])
    """
    text = re.sub(r"(?<=\w)['’]s\b", "", text)  # possessives: "Turkmenistan's"
    words = [_IRREGULAR.get(w.lower(), w) for w in re.findall(r"\w+", text)]
    return terms(" ".join(words))


@functools.lru_cache(maxsize=1)
def frame_stems() -> frozenset[str]:
    return frozenset(s for w in _FRAME_WORDS for s in terms(w))


def question_stems(question: str) -> list[str]:
    """The question's subject terms, stemmed as BM25 stems them, in order, once each.

    >>> question_stems("Where did the meeting between Madrakhimov and the IOM take place?")
    ['meet', 'madrakhimov', 'iom', 'take', 'place']
    >>> question_stems("Which years does the National Action Plan cover?")  # frame words go
    ['nation', 'action', 'plan']
    """
    frame = frame_stems()
    return list(dict.fromkeys(s for s in evidence_terms(question) if s not in frame))


def coverage(weights: dict[str, float], stems: set[str]) -> float:
    """The IDF-weighted share of the question's terms found among `stems`.

    >>> coverage({"madrakhimov": 3.0, "uzbekistan": 0.2, "meet": 0.8}, {"uzbekistan", "meet"})
    0.25
    >>> coverage({}, {"meet"})
    0.0
    """
    total = sum(weights.values())
    return sum(w for s, w in weights.items() if s in stems) / total if total else 0.0


# "similar to gzip(1)": another manual page named, not what this sentence is about
_CROSS_REFERENCE = re.compile(r"\b[\w.-]+\(\d\w?\)")
_CONTEXT_GAIN = 0.1  # the least coverage the sentence before must add to be quoted with it


def continues(previous: str, sentence: str) -> bool:
    """Does the sentence continue the one before: it points back ("This ..."), or the one
    before is an option's name line that it describes?

    >>> continues("-i[SUFFIX], --in-place[=SUFFIX]", "edit files in place")
    True
    >>> continues("Ana met Bo.", "Rain fell."), continues("Ana met Bo.", "This was long.")
    (False, True)
    """
    return refers_back(sentence) or (is_label(previous) and not OPTION_LINE.match(sentence))


def is_label(sentence: str) -> bool:
    """An option's name line on its own ("--sandbox"): it names, the next sentence says.
    Its words are option tokens and at most one argument name; a line that goes on to
    describe the option ("-v, --verbose always print headers") is no label.

    >>> is_label("-i[SUFFIX], --in-place[=SUFFIX]"), is_label("-z  Filter through gzip.")
    (True, False)
    >>> is_label("-a rounds"), is_label("-v, --verbose always print headers giving file names")
    (True, False)
    """
    if not OPTION_LINE.match(sentence) or sentence.rstrip().endswith((".", "!", "?")):
        return False
    words = [w for w in sentence.replace(",", " ").split() if not w.startswith(("-", "[", "<", "="))]
    return len(words) <= 1


def refers_back(sentence: str) -> bool:
    """
    >>> refers_back("This encounter in Tashkent marked a pivotal moment."), refers_back("Tashkent is big.")
    (True, False)
    """
    return bool(_REFERS_BACK.match(sentence))


def is_summary_request(question: str) -> bool:
    """
    >>> is_summary_request("Summarize what the manual says about tar"), is_summary_request("Explain how grep works")
    (True, True)
    >>> is_summary_request("What does the -z option do?")
    False
    """
    return bool(_SUMMARY_REQUEST.match(question)) and not re.match(
        r"^\s*what (?:does|do) (?:the )?\S*-{1,2}\w", question, re.IGNORECASE)


@dataclass(frozen=True)
class Window:
    """A sentence of a retrieved chunk, with the sentence before it for context."""

    hit: Hit
    start: int  # file offsets of the sentence itself
    end: int
    context_start: int  # where its quote starts: the previous sentence when it refers back
    sentence: str  # the sentence, white space folded: what is embedded and ranked
    text: str  # previous sentence + sentence, folded: what a base model reads
    previous: str = ""  # the previous sentence, folded ("" for a chunk's first)
    previous_start: int = -1  # file offset of the previous sentence (-1: none)

    @property
    def quoted_text(self) -> str:
        """What the evidence quote holds, folded: the sentence, with what it refers back to."""
        return self.text if self.context_start < self.start else self.sentence


def sentence_windows(hits: list[Hit]) -> list[Window]:
    """Every sentence of every hit once (chunks overlap), in retrieval order.

    >>> from rag.types import Chunk, Hit
    >>> hit = Hit(Chunk(0, "a.txt", "One here. This  there.", 10, 32, 1, 1), 0.5)
    >>> [(w.start, w.context_start, w.text) for w in sentence_windows([hit, hit])]
    [(10, 10, 'One here.'), (20, 10, 'One here. This there.')]
    """
    seen, windows = set(), []
    for hit in hits:
        text, base = hit.chunk.text, hit.chunk.start_char
        spans = split_sentences(text)
        for i, (a, b) in enumerate(spans):
            key = (hit.chunk.source, base + a)
            if key in seen:
                continue
            seen.add(key)
            sentence = " ".join(text[a:b].split())
            prev_a, prev_b = spans[i - 1] if i else (a, a)
            previous = " ".join(text[prev_a:prev_b].split())
            context = prev_a if i and continues(previous, sentence) else a
            # the sentence before may tell what this one is about, unless a new paragraph or
            # a new option's entry starts here
            same_item = i and not PARAGRAPH_BREAK.search(text, prev_b, a) and not OPTION_LINE.match(sentence)
            windows.append(Window(hit, base + a, base + b, base + context, sentence,
                                  f"{previous} {sentence}".strip(), previous, base + prev_a if same_item else -1))
    return windows


@dataclass(frozen=True)
class ScoredWindow:
    window: Window
    coverage: float  # IDF-weighted share of the question's terms in what the quote holds
    cosine: float  # embedding similarity of question and sentence
    score: float  # the two mixed: how well this sentence answers the question's terms


def score_windows(question: str, windows: list[Window], cosines: list[float],
                  idf: Callable[[list[str]], dict[str, float]],
                  coverage_weight: float = 0.75, rank_weight: float = 0.0,
                  context_weight: float = 0.0, entry_weight: float = 0.0,
                  entry_of: Callable[[Window], str] | None = None) -> list[ScoredWindow]:
    """Each window scored as evidence for the question, best first.

    `rank_weight` adds rank_weight / (1 + r) for a window of the r-th retrieved chunk
    (0-based): the passage ranking knows the whole chunk, a sentence score knows less.
    `context_weight`: the share of the coverage that the sentence before adds which counts
    too ("-a rounds ... KDF rounds used." then "The default is 16 rounds."); such a window
    quotes both sentences. `entry_weight`: the same for the head of the manual option entry
    the window sits in, `entry_of(window)` ("" when none); it is not quoted.

    >>> from rag.types import Chunk, Hit
    >>> text = "Rain fell in Tashkent. Madrakhimov meets Hajiyev in Tashkent."
    >>> ws = sentence_windows([Hit(Chunk(0, "a.txt", text, 0, len(text), 1, 1), 0.5)])
    >>> idf = lambda stems: {s: (3.0 if s == "madrakhimov" else 0.5) for s in stems}
    >>> [round(s.coverage, 2) for s in score_windows("Whom did Madrakhimov meet in Tashkent?", ws, [0.4, 0.4], idf, 0.6)]
    [1.0, 0.12]
    """
    stems = question_stems(question)
    weights = idf(stems) if stems else {}
    scored, ranks, named = [], {}, {}  # named: the terms of each file's name
    for window, cosine in zip(windows, cosines):
        rank = ranks.setdefault(id(window.hit), len(ranks))
        # a manual's lines don't repeat its name: the file's name counts as said
        source = window.hit.chunk.source
        if source not in named:
            named[source] = set(terms(re.sub(r"[\W_]+", " ", source)))
        found = set(evidence_terms(_CROSS_REFERENCE.sub(" ", window.quoted_text))) | named[source]
        cov = base = coverage(weights, found)
        if context_weight and window.previous_start >= 0 and window.quoted_text == window.sentence:
            gain = coverage(weights, found | set(evidence_terms(window.previous))) - base
            if gain >= _CONTEXT_GAIN:  # the sentence before names what this one is about: quote both
                cov += context_weight * gain
                window = replace(window, context_start=window.previous_start)
        if entry_weight and entry_of is not None and (head := entry_of(window)):
            gain = coverage(weights, found | set(evidence_terms(head))) - base
            if gain >= _CONTEXT_GAIN:  # the option's entry names what this sentence is about
                cov += entry_weight * gain
        mixed = coverage_weight * cov + (1 - coverage_weight) * cosine + rank_weight / (1 + rank)
        scored.append(ScoredWindow(window, cov, cosine, mixed))
    return sorted(scored, key=lambda s: (-s.score, s.window.hit.chunk.source, s.window.start))


def summary_windows(scored: list[ScoredWindow], min_score: float, most: int = 5) -> list[ScoredWindow]:
    """The key sentences for "summarise/explain" requests: the best `most` sentences above
    `min_score` that carry a term of the question, from the best-scoring document, in
    document order. (A summary covers several points, so no one sentence carries all.)

    >>> from rag.types import Chunk, Hit
    >>> h = Hit(Chunk(0, "a.txt", "", 0, 0, 1, 1), 0.5)
    >>> s = [ScoredWindow(Window(h, start, start + 5, start, "", ""), 0, 0, score)
    ...      for start, score in [(30, 0.9), (10, 0.7), (50, 0.2)]]
    >>> [w.window.start for w in summary_windows(s, 0.5)]
    [10, 30]
    """
    good = [s for s in scored if s.score >= min_score and (s.coverage > 0 or not s.window.sentence)]
    if not good:
        return []
    source = good[0].window.hit.chunk.source
    chosen = [s for s in good if s.window.hit.chunk.source == source][:most]
    return sorted(chosen, key=lambda s: s.window.start)
