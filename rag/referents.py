"""Pure: what the words of a follow-up point to in the previous turn.

A pronoun's referent (the previous short answer, the names in the previous question, or
what "What is X?" asked about), and the subject of the previous question (a word it shares
with the name of the file its answer came from). Used by conversation.py; it reads no
documents and knows only the latest turn.
"""
from __future__ import annotations

import re
from pathlib import PurePath

from .types import SHORT, Answer

WH_WORDS = {"who", "whom", "whose", "what", "when", "where", "which", "why", "how"}
QUESTION_WORDS = WH_WORDS | {"is", "are", "was", "were", "did", "does", "do", "can", "could", "will",
                             "would", "has", "have", "had", "should", "may"}
# pronoun -> what it points to; "her" is a possessive when a noun follows it
POINTS_TO = {"he": "person", "she": "person", "him": "person", "her": "person", "his": "person",
             "they": "group", "them": "group", "their": "group", "it": "thing", "its": "thing"}
POSSESSIVE = {"his", "their", "its"}
PREPOSITIONS = {"of", "in", "for", "from", "at", "on", "to", "with", "by", "about", "during"}
WORD = re.compile(r"[A-Za-z][\w'-]*")
# A name: capitalised words, possibly joined by "of"/"for"/"the" ("Minister of Foreign Affairs").
_NAME = re.compile(r"[A-Z][\w'-]*(?:\s+(?:(?:of|for|the)\s+)*[A-Z][\w'-]*)*")
_MAX_ANSWER_WORDS = 8  # a longer answer is a sentence, not something a pronoun points to
# Words of a file name that say what kind of file it is, not what it is about
_FILE_KIND_WORDS = {"man", "readme", "notes", "doc", "docs", "txt", "md", "the", "a", "an", "and", "of"}


def referent(previous: Answer, kind: str = "person") -> str | None:
    """What a pronoun of `kind` (person, group or thing) in the next question points to.

    The answer itself when the previous question asked for one (who -> a person, with the
    question's names for a group; what or which -> a thing) and was answered briefly; for
    "What is X?", X itself; else, for people, the names in that question; else None (the
    pronoun is left as it is).

    >>> referent(Answer("Who did Muzaffar Madrakhimov meet?", "Zeynal Hajiyev", False))
    'Zeynal Hajiyev'
    >>> referent(Answer("Who did Muzaffar Madrakhimov meet?", "Zeynal Hajiyev", False), "group")
    'Muzaffar Madrakhimov and Zeynal Hajiyev'
    >>> referent(Answer("Who did Muzaffar Madrakhimov meet?", "I could not find it.", True))
    'Muzaffar Madrakhimov'
    >>> referent(Answer("Where did Madrakhimov and Hajiyev meet?", "Tashkent", False), "group")
    'Madrakhimov and Hajiyev'
    >>> referent(Answer("What is libsodium?", "a modern, easy-to-use library", False), "thing")
    'libsodium'
    >>> referent(Answer("Where did they meet?", "Tashkent", False), "thing") is None
    True
    """
    first = (WORD.findall(previous.question.lower()) or [""])[0]
    if kind == "thing" and (defined := _defined(previous.question)):
        return defined
    asks = ("what", "which") if kind == "thing" else ("who", "whom")
    answer = answer_text(previous)
    answered = first in asks and not previous.abstained and 0 < len(answer.split()) <= _MAX_ANSWER_WORDS
    names = _names(previous.question) if kind != "thing" else []
    if kind == "group":
        names += [answer] if answered else []
        return " and ".join(names) or None
    if answered:
        return answer
    return names[-1] if names else None


def answer_text(previous: Answer) -> str:
    """The previous short answer (a quote shown as evidence is not something to point to)."""
    if previous.short_answer:
        return previous.short_answer.strip().rstrip(".")
    return previous.text.strip().rstrip(".") if previous.kind in ("", SHORT) else ""


def _defined(question: str) -> str | None:
    """
    >>> _defined("What is libsodium?"), _defined("What does xz do?"), _defined("What are the key types?")
    ('libsodium', 'xz', None)
    """
    match = re.match(r"\s*what\s+(?:(?:is|are)\s+(?:an?\s+|the\s+)?([\w.+-]+)|(?:does|do)\s+([\w.+-]+)\s+do)"
                     r"\s*\??\s*$", question, re.I)
    return (match.group(1) or match.group(2)) if match else None


def subject(previous: Answer) -> str | None:
    """The word the previous question was about: one it shares with the name of the file
    its answer came from (man_tail.txt -> "tail"), else X of "What is X?".

    >>> from rag.types import Evidence
    >>> e = Evidence("man_tail.txt", 1, 1, "...", 0.9)
    >>> subject(Answer("Which option makes tail follow a file?", "-f", False, evidence=(e,)))
    'tail'
    >>> subject(Answer("Who met Hajiyev?", "Meredov", False)) is None
    True
    """
    files = [e.source for e in previous.evidence] or [c.source for c in previous.citations] or \
        [h.chunk.source for h in previous.hits[:1]]
    stems = [PurePath(f).stem.lower() for f in files]
    file_words = {w for stem in stems for w in re.split(r"[^\w-]+|_", stem) + re.split(r"\W+|_", stem)}
    file_words -= _FILE_KIND_WORDS | QUESTION_WORDS | PREPOSITIONS | {""}
    for word in WORD.findall(previous.question):
        if word.lower() in file_words:
            return word
    return _defined(previous.question)


def resolve_pronouns(body: str, previous: Answer) -> str:
    targets = {kind: referent(previous, kind) for kind in ("person", "group", "thing")}
    tokens = re.split(r"(\W+)", body)
    out, named = [], set()  # each referent named once: "when did he meet him?" keeps "him"
    for i, token in enumerate(tokens):
        low = token.lower()
        target = targets.get(POINTS_TO.get(low, ""))
        if not target:
            out.append(token)
            continue
        following = next((t.lower() for t in tokens[i + 1:] if re.match(r"\w", t)), "")
        if low in POSSESSIVE or (low == "her" and following and following not in QUESTION_WORDS | PREPOSITIONS):
            out.append(target + "'s")
        elif target not in named:
            described = _description(previous) if target == answer_text(previous) else None
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
