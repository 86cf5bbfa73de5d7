"""Pure: a follow-up question + the conversation so far -> a question that stands alone.

Retrieval sees one question at a time, so "and who did he meet?" finds nothing useful
on its own. This module rewrites it with the previous turn ("Who did Rashid Meredov
meet?") by plain rules, without a model: the default model is a base model with no chat
template, and a rule-based rewrite is predictable and testable. It resolves third-person
pronouns (to the previous answer when that answered a who/what question, else to the
name in the previous question) and elliptical questions ("and of Uzbekistan?", "and
tail?": the previous question about the new subject). A question that names a new subject
is not merged into the previous one ("what about tail, how many lines does it print?"
asks about tail; "what about the --exclude option of rsync?" stands alone). A question
that needs no rewrite is returned unchanged. It does not read documents (the file names
of the previous answer's evidence tell it what that question was about), and it only uses
the latest turn. benchmarks/bench_followups.py scores it on tests/data/followups.jsonl.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from .referents import (
    POINTS_TO,
    POSSESSIVE,
    PREPOSITIONS,
    QUESTION_WORDS,
    WH_WORDS,
    WORD,
    resolve_pronouns,
    subject,
)
from .types import Answer

_OPENERS = re.compile(r"^\s*(?:and|but|also|so|then|ok(?:ay)?|what about|how about)\b[\s,]*", re.I)
# Requests that stand on their own, like questions: "explain what sed does"
_IMPERATIVES = {"tell", "summarize", "summarise", "explain", "describe", "list", "show", "give", "define",
                "compare"}
# A longer fragment with one of these still leans on the previous turn ("the one for tar?")
_ANAPHORS = set(POINTS_TO) | {"one", "ones", "same"}
# "tail, how many lines does it print?": a subject, then a question of its own about it
_EMBEDDED = re.compile(r"^(?P<head>[^,:;?]{1,60}?)\s*[,:;]\s*(?P<question>[A-Za-z]+\b.*)$", re.S)
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*")


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
    body = question.strip()
    while (stripped := _OPENERS.sub("", body, count=1).strip()) != body:  # "ok, and what ..."
        body = stripped
    opened = body != question.strip()
    if not body:
        return question
    words = WORD.findall(body.lower())
    if words and words[0] not in QUESTION_WORDS | _IMPERATIVES:
        embedded = _embedded_question(body)
        if embedded:
            return embedded
        if opened or len(words) <= 3:
            return _elliptical(body, previous, question)
        return question
    if len(words) == 1 and words[0] in WH_WORDS:  # "and when?": ask the last question that way
        return _swap_question_word(words[0], previous.question) or question
    resolved = resolve_pronouns(body, previous)
    if resolved == body and not opened:
        return question
    return _capitalise(resolved)


def _embedded_question(body: str) -> str | None:
    """A new subject followed by a question of its own about it: the question, its
    pronouns pointing to that subject. None when the body is not of that shape.

    >>> _embedded_question("tail, how many lines does it print?")
    'How many lines does tail print?'
    >>> _embedded_question("curl: how do I follow redirects?")
    'curl: How do I follow redirects?'
    >>> _embedded_question("the budget, in 2023?") is None
    True
    """
    match = _EMBEDDED.match(body)
    if not match or match.group("question").split()[0].lower() not in QUESTION_WORDS:
        return None
    head, asked = match.group("head").strip(), match.group("question").strip()
    if len(head.split()) > 5:
        return None
    tokens = re.split(r"(\W+)", asked)
    replaced = [head + ("'s" if t.lower() in POSSESSIVE else "") if t.lower() in POINTS_TO else t for t in tokens]
    if replaced == tokens:
        return f"{head}: {_capitalise(asked)}"
    return _capitalise("".join(replaced))


def _elliptical(fragment: str, previous: Answer, asked: str | None = None) -> str:
    """Swap the fragment into the previous question in place of what it replaces; a longer
    fragment that leans on nothing before it is a new subject, asked as it was (`asked`).

    >>> _elliptical("in 2023?", Answer("What was signed in 2019?", "a memorandum", False))
    'What was signed in 2023?'
    >>> _elliptical("Hajiyev?", Answer("Where did Madrakhimov go?", "Tashkent", False))
    'Where did Hajiyev go?'
    >>> _elliptical("its license?", Answer("What is libsodium?", "a library", False))
    "What is libsodium's license?"
    >>> _elliptical("the --exclude option of rsync?", Answer("What does tar -z do?", "gzip", False),
    ...             "what about the --exclude option of rsync?")
    'What about the --exclude option of rsync?'
    >>> _elliptical("the budget?", Answer("When did the talks start?", "May", False))
    'When did the talks start, the budget?'
    """
    fragment = fragment.strip().rstrip("?").strip()
    base = previous.question.strip().rstrip("?").strip()
    words = fragment.split()
    resolved = resolve_pronouns(fragment, previous)
    if resolved != fragment and "'s" in resolved:  # "and his position?"
        return f"What is {resolved}?"
    if len(words) > 3 and not _ANAPHORS & {w.lower() for w in words}:
        return _capitalise((asked or fragment).strip())
    if words and words[0].lower() in PREPOSITIONS:
        pattern = re.compile(rf"\b(?i:{words[0]})\s+(?:the\s+)?[\w'-]+(?:\s+[A-Z][\w'-]*)*")
        matches = list(pattern.finditer(base))
        if matches:
            last = matches[-1]
            return f"{base[:last.start()]}{fragment}{base[last.end():]}?"
    name = words[1:] if words and words[0].lower() in PREPOSITIONS else words
    same_kind = _same_kind(name[0], base) if len(name) == 1 else None
    if same_kind:  # "what about -l?" after "What does the -c option of wc count?"
        return f"{base[:same_kind.start()]}{name[0]}{base[same_kind.end():]}?"
    about = subject(previous)
    where = about and re.search(rf"(?<![\w-]){re.escape(about)}(?![\w-])", base)
    if where and len(name) == 1:  # "and tail?" after "How many lines does head print?"
        return f"{base[:where.start()]}{name[0]}{base[where.end():]}?"
    if where:  # a longer fragment: keep the subject, not the rest of the old question
        return f"{about}: {_capitalise((asked or fragment).strip())}"
    runs = [m for m in _CAPITALISED_RUN.finditer(base) if m.start() > 0]
    if fragment[:1].isupper() and runs:
        last = runs[-1]
        return f"{base[:last.start()]}{fragment}{base[last.end():]}?"
    return f"{base}, {fragment}?"


_KINDS = (re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*"), re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])"))


def _same_kind(word: str, base: str):
    """Where in `base` the last word of the same kind as `word` is (an option like -l, or a
    number), if `word` is one.

    >>> _same_kind("-l", "What does the -c option of wc count?").group(0)
    '-c'
    >>> _same_kind("tail", "How many lines does head print?") is None
    True
    """
    for kind in _KINDS:
        if kind.fullmatch(word):
            found = list(kind.finditer(base))
            return found[-1] if found else None
    return None


def _swap_question_word(word: str, previous_question: str) -> str | None:
    """
    >>> _swap_question_word("when", "Where did the meeting take place?")
    'When did the meeting take place?'
    >>> _swap_question_word("when", "Tell me about the meeting") is None
    True
    """
    match = re.match(r"\s*([A-Za-z]+)\b", previous_question)
    if not match or match.group(1).lower() not in WH_WORDS:
        return None
    return _capitalise(word + previous_question[match.end():])


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
