"""Pure scoring functions for evaluation: SQuAD-style answer matching and ranking metrics.

No model, no files: each function maps plain values to a number, so `rag eval` is
deterministic and needs no judge model.
"""
from __future__ import annotations

import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lowercase, no punctuation, no articles, single spaces.

    >>> normalize_answer("The  Norman-French, (Rollo)!")
    'normanfrench rollo'
    """
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, answers: tuple[str, ...] | list[str]) -> float:
    """1.0 if the prediction equals one expected answer after normalisation.

    >>> exact_match("the Normans", ["Normans", "Norse"]), exact_match("Normans of Rollo", ["Normans"])
    (1.0, 0.0)
    """
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(a) for a in answers))


def token_f1(prediction: str, answers: tuple[str, ...] | list[str]) -> float:
    """The best token-overlap F1 of the prediction with any expected answer (SQuAD).

    >>> round(token_f1("Rollo the Viking", ["Rollo"]), 3)
    0.667
    >>> token_f1("", ["Rollo"])
    0.0
    """
    pred = normalize_answer(prediction).split()
    best = 0.0
    for answer in answers:
        gold = normalize_answer(answer).split()
        common = sum((Counter(pred) & Counter(gold)).values())
        if common:
            precision, recall = common / len(pred), common / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(text: str, answers: tuple[str, ...] | list[str]) -> bool:
    """Whether a text (an answer or a retrieved passage) holds an expected answer,
    comparing case-insensitively with white space folded.

    >>> contains_answer("in the 10th and\\n11th centuries", ["10th and 11th centuries"])
    True
    """
    folded = " ".join(text.lower().split())
    return any(" ".join(a.lower().split()) in folded for a in answers if a.strip())


def first_hit_rank(passages: list[str], answers: tuple[str, ...] | list[str]) -> int | None:
    """1-based rank of the first passage that contains an expected answer, else None.

    >>> first_hit_rank(["no", "yes: Rollo", "Rollo"], ["rollo"]), first_hit_rank(["no"], ["x"])
    (2, None)
    """
    for rank, passage in enumerate(passages, 1):
        if contains_answer(passage, answers):
            return rank
    return None


def recall_at(ranks: list[int | None], k: int) -> float:
    """Share of questions whose first hit is within the top k.

    >>> recall_at([1, 3, None, 6], 5)
    0.5
    """
    return sum(r is not None and r <= k for r in ranks) / len(ranks) if ranks else 0.0


def mean_reciprocal_rank(ranks: list[int | None]) -> float:
    """Mean of 1/rank of the first hit (0 when none was retrieved).

    >>> mean_reciprocal_rank([1, 2, None, 4])
    0.4375
    """
    return sum(1 / r for r in ranks if r) / len(ranks) if ranks else 0.0


def precision_recall(predicted: list[bool], actual: list[bool]) -> tuple[float | None, float | None]:
    """Precision and recall of a yes/no prediction (here: abstained vs unanswerable).

    >>> precision_recall([True, True, False, False], [True, False, True, False])
    (0.5, 0.5)
    """
    true_positive = sum(p and a for p, a in zip(predicted, actual))
    predicted_yes, actual_yes = sum(predicted), sum(actual)
    return (true_positive / predicted_yes if predicted_yes else None,
            true_positive / actual_yes if actual_yes else None)
