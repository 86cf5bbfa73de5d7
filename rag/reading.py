"""Pure: how a small base model reads the passages, one sentence window at a time.

A 270M-parameter base model answers well from one or two sentences and badly from a
page. So for base models we rank the sentences of the retrieved chunks, ask the model
about each of the best few windows (a sentence and the one before it) separately, check
each draft against the files, and let the verified drafts vote. Models with a chat
template read all passages at once instead (see pipeline.py).

No I/O and no models here: callers pass sentence similarities and the model's drafts.
"""
from __future__ import annotations

from dataclasses import dataclass

from .chunking import split_sentences
from .citations import Verdict, content_words
from .types import Hit


@dataclass(frozen=True)
class Window:
    """A sentence of a retrieved chunk, with the sentence before it for context."""

    hit: Hit
    start: int  # file offsets of the sentence itself
    end: int
    sentence: str  # the sentence, white space folded: what is ranked
    text: str  # previous sentence + sentence, white space folded: what the model reads and
    # what lexical ranking looks at (the previous sentence often names who or what)

    @property
    def sentence_key(self) -> tuple[str, int]:
        return (self.hit.chunk.source, self.start)


def sentence_windows(hits: list[Hit]) -> list[Window]:
    """Every sentence of every hit once (chunks overlap), in retrieval order.

    >>> from rag.types import Chunk, Hit
    >>> hit = Hit(Chunk(0, "a.txt", "One here. Two  there.", 10, 31, 1, 1), 0.5)
    >>> [(w.start, w.text) for w in sentence_windows([hit, hit])]
    [(10, 'One here.'), (20, 'One here. Two there.')]
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
            first = spans[max(0, i - 1)][0]
            windows.append(Window(hit, base + a, base + b, " ".join(text[a:b].split()),
                                  " ".join(text[first:b].split())))
    return windows


def rank_windows(question: str, windows: list[Window], similarities: list[float],
                 lexical_weight: float = 0.5) -> list[Window]:
    """Best first, by embedding similarity plus the share of question words in the window.

    The lexical part rescues sentences that name the question's terms exactly (like a
    strategy's name) when the embedding prefers a vaguer sentence on the same topic.
    """
    question_words = content_words(question)

    def score(pair):
        window, similarity = pair
        overlap = len(question_words & content_words(window.text)) / len(question_words) if question_words else 0.0
        return similarity + lexical_weight * overlap

    ranked = sorted(zip(windows, similarities), key=score, reverse=True)
    return [window for window, _ in ranked]


@dataclass(frozen=True)
class Reading:
    window: Window
    draft: str
    verdict: Verdict


def choose(readings: list[Reading]) -> Reading | None:
    """The verified reading most others agree with; ties go to the better-ranked window.

    Two answers agree when the content words of one include those of the other
    ("Tashkent" and "in Tashkent, Uzbekistan").

    >>> from rag.citations import Verdict
    >>> def r(text): return Reading(None, text, Verdict(text, (), False))
    >>> choose([r("the Deputy Minister"), r("Sub-Regional Coordinator"), r("the Sub-Regional coordinator of the IOM")]).draft
    'Sub-Regional Coordinator'
    """
    verified = [r for r in readings if not r.verdict.abstained]
    if not verified:
        return None
    words = [content_words(r.verdict.text) for r in verified]

    def votes(i):
        return sum(1 for j in range(len(verified)) if words[i] <= words[j] or words[j] <= words[i])

    best = max(range(len(verified)), key=lambda i: (votes(i), -i))
    return verified[best]
