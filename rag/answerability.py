"""Pure: is a question answerable from the retrieved passages, before asking the model?

The score is the cosine similarity of the question with the closest *sentence* of the
retrieved chunks (not the closest chunk: a chunk can be on topic while none of its
sentences says what is asked). On the SQuAD 2.0 benchmark this separated answerable
from unanswerable questions better than the chunk cosine, the share of the question's
(IDF-weighted) terms present near that sentence, the rarest missing term, or a logistic
combination of those (docs/quality.md). It is a weak signal against
SQuAD 2.0's adversarial questions, which reuse the passage's words; it is a strong one
against questions about things the documents never mention.

The threshold is `GroundingSettings.min_answerability`, fitted on the benchmark's dev split.
"""
from __future__ import annotations

from collections.abc import Sequence


def answerability(sentence_similarities: Sequence[float]) -> float:
    """The best question-sentence cosine similarity (-1.0 when there are no sentences).

    >>> answerability([0.31, 0.62, 0.47]), answerability([])
    (0.62, -1.0)
    """
    return max(sentence_similarities, default=-1.0)


def abstention_reason(score: float, threshold: float) -> str | None:
    """Why to abstain before asking the model, or None to go on.

    >>> abstention_reason(0.5, 0.4) is None
    True
    >>> abstention_reason(0.21, 0.4)
    'no sentence of the closest passages is near the question (best similarity 0.21, threshold 0.40)'
    """
    if score >= threshold:
        return None
    return (f"no sentence of the closest passages is near the question "
            f"(best similarity {score:.2f}, threshold {threshold:.2f})")
