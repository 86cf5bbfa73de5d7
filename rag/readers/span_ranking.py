"""Base models choose the answer among a window's candidate phrases instead of writing it.

For each of the best `reading_windows` evidence windows, the phrases the rules don't
reject on sight (answer_candidates.plausible_spans) are scored by the model's
log-probability of each as the answer after the same reading prompt the generating reader
uses, newline included (a phrase that should go on scores low); the best one is the
window's draft. With `then_generate`, the model writes its draft first and a candidate
replaces it only when the draft is no phrase of the window the rules would accept.

Either way the drafts are Readings, checked by grounding.py like any other. Scoring needs
`generator.span_logprobs` (LlamaGenerator has it); reader_for falls back to generation
for a generator without it.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence

from ..answer_candidates import plausible_spans, rules_accept
from ..concurrency import under_model_lock
from ..config import GenerationSettings
from ..evidence import ScoredWindow
from ..grounding import Reading, clean_draft, locate
from ..prompting import build_reading_prompt
from .base_model import BaseModelReader


def span_score(logprobs: Sequence[float], how: str = "mean") -> float:
    """A candidate's score from its tokens' log-probabilities: their mean or their sum.

    >>> span_score([-1.0, -3.0]), span_score([-1.0, -3.0], "sum"), span_score([])
    (-2.0, -4.0, -inf)
    """
    if not logprobs:
        return float("-inf")
    return sum(logprobs) / (len(logprobs) if how == "mean" else 1)


def best_span(spans: Sequence[str], logprobs: Sequence[Sequence[float]], how: str = "mean",
              least: float = float("-inf")) -> str | None:
    """The highest-scoring span (the first of equals); None when there are none or the
    best scores below `least` (the model is not sure of any).

    >>> best_span(["Lima", "Mei Lin"], [[-2.0], [-0.5, -1.0]]), best_span(["Lima", "Mei Lin"], [[-2.0], [-0.5, -2.0]], "sum")
    ('Mei Lin', 'Lima')
    >>> best_span(["Lima", "Mei Lin"], [[-2.0], [-0.5, -1.0]], least=-0.5) is None
    True
    """
    scores = [span_score(lp, how) for lp in logprobs]
    if not spans:
        return None
    best = max(range(len(spans)), key=lambda i: (scores[i], -i))
    return spans[best] if scores[best] >= least else None


def acceptable_draft(question: str, draft: str, quoted: str) -> bool:
    """Whether a free draft is a phrase of the quote that the rules don't reject on sight.

    >>> acceptable_draft("Who did Ana meet?", "Bo Li.", "Ana met Bo Li in Lima."), acceptable_draft("Who did Ana meet?", "Ana", "Ana met Bo Li.")
    (True, False)
    """
    span = clean_draft(draft)
    return bool(span and locate(span, quoted, 0, len(quoted)) and rules_accept(question, span))


class SpanRankingReader:
    def __init__(self, generator, settings: GenerationSettings, then_generate: bool = False):
        self.generator = generator
        self.settings = settings
        self.then_generate = then_generate

    def read(self, question: str, ranked: list[ScoredWindow], readings: list[Reading],
             hits=None) -> Iterator[str]:
        """Yield each window's draft as a line; append each Reading."""
        for scored in ranked[: self.settings.reading_windows]:
            quoted = scored.window.quoted_text
            if self.then_generate:
                mine: list[Reading] = []
                yield from BaseModelReader(self.generator, self.settings).read(question, [scored], mine)
                readings.extend(mine)
                if mine and acceptable_draft(question, mine[-1].draft, quoted):
                    continue
            spans = plausible_spans(question, quoted)
            if not spans:
                continue
            prompt = build_reading_prompt(question, scored.window.text, (), self.settings.reading_max_tokens)
            scores = under_model_lock(self.generator, functools.partial(self.generator.span_logprobs, prompt, spans))
            span = best_span(spans, scores, self.settings.span_score,
                             self.settings.span_min_score)
            if span is None:
                continue
            yield span + "\n"
            readings.append(Reading(scored, span))
