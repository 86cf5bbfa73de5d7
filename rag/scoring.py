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


# Characters that continue a token such as "tar.gz", "--verbose", "snake_case" or "a/b":
# next to a match that starts or ends with punctuation, they mean the match is only part
# of a longer token.
_TOKEN_JOINERS = frozenset(".-_/")


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


def _continues(token_edge: str, neighbour: str, beyond: str) -> bool:
    """Whether `neighbour`, next to the match's edge character, makes the match part of a
    longer token. `beyond` is the character after the neighbour (away from the match).

    A letter, digit or "_" always continues a token ("snake_case" is one word); after
    punctuation at the edge, so do ".", "-" and "/", except a "." that ends a sentence
    ("60-70%." holds "60-70%"); a number continues through "." or "," into a digit
    ("1.5", "1,000").
    """
    if neighbour.isalnum() or neighbour == "_":
        return True
    if not token_edge.isalnum():
        return neighbour in _TOKEN_JOINERS and not (neighbour == "." and not beyond.isalnum())
    return token_edge.isdigit() and neighbour in ".," and beyond.isdigit()


def find_answer(text: str, answer: str) -> int:
    """Where `answer` first occurs in `text` as whole tokens, as an offset into the folded
    text (lowercased, white space runs made single spaces); -1 when it does not occur.

    >>> find_answer("Release 1024, then 10.", "10")
    19
    >>> find_answer("release 1024", "10"), find_answer("v1.5", "1")
    (-1, -1)
    """
    text, answer = _fold(text), _fold(answer)
    if not answer:
        return -1
    start = text.find(answer)
    while start != -1:
        end = start + len(answer)
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if not (before and _continues(answer[0], before, text[start - 2] if start > 1 else "")) \
                and not (after and _continues(answer[-1], after, text[end + 1:end + 2])):
            return start
        start = text.find(answer, start + 1)
    return -1


def contains_answer(text: str, answers: tuple[str, ...] | list[str]) -> bool:
    """Whether a text (an answer or a retrieved passage) holds an expected answer as whole
    tokens, comparing case-insensitively with white space folded.

    Found, across a line break, in any case, next to punctuation that ends a sentence:

    >>> contains_answer("in the 10th and\\n11th centuries", ["10th and 11th centuries"])
    True
    >>> contains_answer("Files end in .GZ.", [".gz"]), contains_answer("(Rollo)", ["rollo"])
    (True, True)
    >>> contains_answer("run it with -v, or --verbose", ["-v"])
    True
    >>> contains_answer("reduced by 60-70%.", ["60-70%"]), contains_answer("60-70%.x", ["60-70%"])
    (True, False)

    Not found inside a longer token:

    >>> contains_answer("1024 bytes", ["10"]), contains_answer("a tar.gz file", [".gz"])
    (False, False)
    >>> contains_answer("use --verbose", ["-v"]), contains_answer("in 10.5 s", ["10"])
    (False, False)
    >>> contains_answer("the Normans", ["Norman"]), contains_answer("anything", ["", " "])
    (False, False)
    """
    return any(find_answer(text, a) != -1 for a in answers)


def first_hit_rank(passages: list[str], answers: tuple[str, ...] | list[str]) -> int | None:
    """1-based rank of the first passage that contains an expected answer (as whole
    tokens, see contains_answer), else None.

    >>> first_hit_rank(["no", "yes: Rollo", "Rollo"], ["rollo"]), first_hit_rank(["no"], ["x"])
    (2, None)
    >>> first_hit_rank(["Rollos", "Rollo's"], ["rollo"])
    2
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
