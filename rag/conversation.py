"""Pure: a follow-up question + the conversation so far -> a question that stands alone.

Retrieval sees one question at a time, so "and who did he meet?" finds nothing useful
on its own. This module rewrites it with the previous turn ("Who did Rashid Meredov
meet?") by plain rules, without a model: the default model is a base model with no chat
template, and a rule-based rewrite is predictable and testable. It resolves third-person
pronouns (to the previous answer when that answered a who/what question, else to the
name in the previous question) and elliptical questions ("and of Uzbekistan?", "what
about Hajiyev?"). A question that needs no rewrite is returned unchanged. It does not
look at documents, and it only uses the latest turn.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from .types import Answer

_OPENERS = re.compile(r"^\s*(?:and|but|also|so|then|ok(?:ay)?|what about|how about)\b[\s,]*", re.I)
_WH_WORDS = {"who", "whom", "whose", "what", "when", "where", "which", "why", "how"}
_QUESTION_WORDS = _WH_WORDS | {"is", "are", "was", "were", "did", "does", "do", "can", "could", "will",
                               "would", "has", "have", "had", "should", "may"}
# pronoun -> what it points to; "her" is a possessive when a noun follows it
_POINTS_TO = {"he": "person", "she": "person", "him": "person", "her": "person", "his": "person",
              "they": "group", "them": "group", "their": "group", "it": "thing", "its": "thing"}
_POSSESSIVE = {"his", "their", "its"}
_PREPOSITIONS = {"of", "in", "for", "from", "at", "on", "to", "with", "by", "about", "during"}
_WORD = re.compile(r"[A-Za-z][\w'-]*")
# A name: capitalised words, possibly joined by "of"/"for"/"the" ("Minister of Foreign Affairs").
_NAME = re.compile(r"[A-Z][\w'-]*(?:\s+(?:(?:of|for|the)\s+)*[A-Z][\w'-]*)*")
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")
_MAX_ANSWER_WORDS = 8  # a longer answer is a sentence, not something a pronoun points to


def rewrite_followup(question: str, history: Sequence[Answer]) -> str:
    """The question, made to stand alone using the latest answered turn in `history`.

    >>> first = Answer("Who is the Minister of Foreign Affairs of Turkmenistan?", "Rashid Meredov", False)
    >>> rewrite_followup("and who did he meet?", [first])
    'Who did Rashid Meredov (the Minister of Foreign Affairs of Turkmenistan) meet?'
    >>> rewrite_followup("What is his position?", [first])
    "What is Rashid Meredov's position?"
    >>> rewrite_followup("and of Uzbekistan?", [first])
    'Who is the Minister of Foreign Affairs of Uzbekistan?'
    >>> rewrite_followup("Where is Tashkent?", [first])   # stands alone already
    'Where is Tashkent?'
    >>> rewrite_followup("and who did he meet?", [])       # nothing to go on
    'and who did he meet?'
    """
    if not history:
        return question
    previous = history[-1]
    body = _OPENERS.sub("", question).strip()
    opened = body != question.strip()
    if not body:
        return question
    words = _WORD.findall(body.lower())
    if words and words[0] not in _QUESTION_WORDS:
        if opened or len(words) <= 3:
            return _elliptical(body, previous.question)
        return question
    if len(words) == 1 and words[0] in _WH_WORDS:  # "and when?": ask the last question that way
        return _swap_question_word(words[0], previous.question) or question
    resolved = _resolve_pronouns(body, previous)
    if resolved == body and not opened:
        return question
    return _capitalise(resolved)


def referent(previous: Answer, kind: str = "person") -> str | None:
    """What a pronoun of `kind` (person, group or thing) in the next question points to.

    The answer itself when the previous question asked for one (who -> a person or a
    group, what or which -> a thing) and was answered briefly; else, for people, the names
    in that question; else None (the pronoun is left as it is).

    >>> referent(Answer("Who did Muzaffar Madrakhimov meet?", "Zeynal Hajiyev", False))
    'Zeynal Hajiyev'
    >>> referent(Answer("Who did Muzaffar Madrakhimov meet?", "I could not find it.", True))
    'Muzaffar Madrakhimov'
    >>> referent(Answer("Where did Madrakhimov and Hajiyev meet?", "Tashkent", False), "group")
    'Madrakhimov and Hajiyev'
    >>> referent(Answer("Where did they meet?", "Tashkent", False), "thing") is None
    True
    """
    first = (_WORD.findall(previous.question.lower()) or [""])[0]
    asks = ("what", "which") if kind == "thing" else ("who", "whom")
    answer = previous.text.strip().rstrip(".")
    if first in asks and not previous.abstained and 0 < len(answer.split()) <= _MAX_ANSWER_WORDS:
        return answer
    names = _names(previous.question) if kind != "thing" else []
    if not names:
        return None
    return " and ".join(names) if kind == "group" else names[-1]


def _resolve_pronouns(body: str, previous: Answer) -> str:
    targets = {kind: referent(previous, kind) for kind in ("person", "group", "thing")}
    tokens = re.split(r"(\W+)", body)
    out, named = [], set()  # each referent named once: "when did he meet him?" keeps "him"
    for i, token in enumerate(tokens):
        low = token.lower()
        target = targets.get(_POINTS_TO.get(low, ""))
        if not target:
            out.append(token)
            continue
        following = next((t.lower() for t in tokens[i + 1:] if re.match(r"\w", t)), "")
        if low in _POSSESSIVE or (low == "her" and following and following not in _QUESTION_WORDS | _PREPOSITIONS):
            out.append(target + "'s")
        elif target not in named:
            described = _description(previous) if target == previous.text.strip().rstrip(".") else None
            out.append(f"{target} ({described})" if described else target)
            named.add(target)
        else:
            out.append(token)
    return "".join(out)


def _description(previous: Answer) -> str | None:
    """What the previous question said the answer is: kept next to the name, so the passage
    that describes the person is found and an answer that only repeats it is recognised.

    >>> _description(Answer("Who is the Minister of Foreign Affairs of Turkmenistan?", "Rashid Meredov", False))
    'the Minister of Foreign Affairs of Turkmenistan'
    >>> _description(Answer("Who did Madrakhimov meet?", "Zeynal Hajiyev", False)) is None
    True
    """
    match = re.match(r"\s*who\s+(?:is|was|are|were)\s+(.+?)\s*\??\s*$", previous.question, re.I)
    return match.group(1) if match else None


def _elliptical(fragment: str, previous_question: str) -> str:
    """Swap the fragment into the previous question in place of what it replaces.

    >>> _elliptical("in 2023?", "What was signed in 2019?")
    'What was signed in 2023?'
    >>> _elliptical("Hajiyev?", "Where did Madrakhimov go?")
    'Where did Hajiyev go?'
    >>> _elliptical("the budget?", "When did the talks start?")
    'When did the talks start, the budget?'
    """
    fragment = fragment.strip().rstrip("?").strip()
    base = previous_question.strip().rstrip("?").strip()
    words = fragment.split()
    if words and words[0].lower() in _PREPOSITIONS:
        pattern = re.compile(rf"\b(?i:{words[0]})\s+(?:the\s+)?[\w'-]+(?:\s+[A-Z][\w'-]*)*")
        matches = list(pattern.finditer(base))
        if matches:
            last = matches[-1]
            return f"{base[:last.start()]}{fragment}{base[last.end():]}?"
    runs = [m for m in _CAPITALISED_RUN.finditer(base) if m.start() > 0]
    if fragment[:1].isupper() and runs:
        last = runs[-1]
        return f"{base[:last.start()]}{fragment}{base[last.end():]}?"
    return f"{base}, {fragment}?"


def _swap_question_word(word: str, previous_question: str) -> str | None:
    """
    >>> _swap_question_word("when", "Where did the meeting take place?")
    'When did the meeting take place?'
    >>> _swap_question_word("when", "Tell me about the meeting") is None
    True
    """
    match = re.match(r"\s*([A-Za-z]+)\b", previous_question)
    if not match or match.group(1).lower() not in _WH_WORDS:
        return None
    return _capitalise(word + previous_question[match.end():])


def _names(text: str) -> list[str]:
    """Capitalised names in a question, leaving out its first word.

    >>> _names("Who is the Minister of Foreign Affairs of Turkmenistan?")
    ['Minister of Foreign Affairs of Turkmenistan']
    """
    found = []
    for match in _NAME.finditer(text):
        name = match.group(0)
        if match.start() == len(text) - len(text.lstrip()):  # the sentence's first word
            name = name.split(maxsplit=1)[1] if " " in name else ""
            name = re.sub(r"^(?:(?:of|for|the)\s+)+", "", name)
        if name and name[:1].isupper():
            found.append(name)
    return found


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
