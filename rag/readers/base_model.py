"""Base models read one evidence window at a time, the best few, each in its own prompt.

A 270M-parameter base model answers well from one or two sentences and badly from a page,
so it is asked about each of the best `reading_windows` evidence windows (a sentence and
the one before it) separately. A draft that only repeats the question's words (the person
asked about, not the one they met) gets one more try that can't start the same way.
"""
from __future__ import annotations

from collections.abc import Iterator

from ..answer_rules import restates_question
from ..concurrency import completion_pieces
from ..config import GenerationSettings
from ..evidence import ScoredWindow
from ..grounding import Reading, clean_draft
from ..prompting import build_reading_prompt


class BaseModelReader:
    def __init__(self, generator, settings: GenerationSettings):
        self.generator = generator
        self.settings = settings

    def read(self, question: str, ranked: list[ScoredWindow], readings: list[Reading],
             hits=None) -> Iterator[str]:
        """Yield the drafts as they stream (one line per window); append each Reading."""
        for scored in ranked[: self.settings.reading_windows]:
            avoid: tuple[str, ...] = ()
            for _attempt in range(2):
                prompt = build_reading_prompt(question, scored.window.text, avoid,
                                              self.settings.reading_max_tokens)
                draft = []
                for piece in completion_pieces(self.generator, prompt):
                    draft.append(piece)
                    yield piece
                yield "\n"
                text = "".join(draft).strip()
                readings.append(Reading(scored, text))
                span = clean_draft(text)
                if not span or not restates_question(question, span):
                    break
                avoid = (span.split()[0],)
