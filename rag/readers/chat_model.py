"""Instruct models with a chat template read all passages in one prompt.

The model replies in a sentence or two with [n] markers ("The minister is Rashid Meredov
[1]."). For each claim, the longest run of its words that an evidence window holds
verbatim, and that says something the question doesn't, becomes that window's draft
("Rashid Meredov"); grounding.py checks it like any base-model draft.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from ..citations import content_words, split_claims
from ..concurrency import completion_pieces
from ..config import GenerationSettings
from ..evidence import ScoredWindow
from ..grounding import Reading
from ..prompting import build_prompt, passage_budget


class ChatModelReader:
    def __init__(self, generator, settings: GenerationSettings):
        self.generator = generator
        self.settings = settings

    def read(self, question: str, ranked: list[ScoredWindow], readings: list[Reading],
             hits=None) -> Iterator[str]:
        gen = self.settings
        if gen.reading_windows == 0:  # quotes only: no model
            return
        prompt = build_prompt(question, list(hits or ()), passage_budget(gen.n_ctx, gen.max_tokens, len(question)))
        prompt = dataclasses.replace(prompt, max_tokens=gen.max_tokens)
        draft = []
        for piece in completion_pieces(self.generator, prompt):
            draft.append(piece)
            yield piece
        asked = content_words(question)
        for claim in split_claims("".join(draft)):
            for scored in ranked[: max(gen.reading_windows * 3, 8)]:
                span = shared_span(claim, scored.window.quoted_text, asked)
                if span:
                    readings.append(Reading(scored, span))
                    break


def shared_span(claim: str, window: str, asked: set[str]) -> str:
    """The longest run of the claim's words found verbatim in the window that holds a word
    the question doesn't ("" if none).

    >>> shared_span("The minister is Rashid Meredov.", "of Turkmenistan Rashid Meredov and",
    ...             {"minister", "foreign", "affair", "turkmenistan"})
    'Rashid Meredov'
    """
    words = claim.strip(" .").split()
    folded = " " + " ".join(window.lower().split()) + " "
    best = ""
    for i in range(len(words)):
        for j in range(len(words), i, -1):
            run = " ".join(words[i:j])
            if len(run) <= len(best):
                break
            if f" {run.lower().strip('.,;:')} " in folded and content_words(run) - asked:
                best = run.strip(".,;:")
                break
    return best
