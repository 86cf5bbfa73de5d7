"""Pure: what a question names (people, places, options, numbers) and whether its evidence
is about the same thing: the entity rules of answer_rules.py.

No I/O and no models.
"""
from __future__ import annotations

import functools
import re

from .answer_types import _MONTHS, _OPTION, _WORD

_FRAME = set("""what which who whom whose when where why how is are was were do does did the a an
in on at of for to and or i""".split())


def question_entities(question: str) -> set[str]:
    """What the question names, which its evidence must name too: capitalised words past
    its first (months aside), option tokens and numbers or versions.

    >>> sorted(question_entities("Who did Muzaffar Madrakhimov meet on 29 February 2024?"))
    ['2024', '29', 'madrakhimov', 'muzaffar']
    >>> sorted(question_entities("What does the -z option of tar 1.34 do?")), question_entities("Which option ignores case?")
    (['-z', '1.34'], set())
    """
    words = _WORD.findall(question)
    found = {_name_key(w) for w in words[1:]
             if w[:1].isupper() and w.lower() not in _MONTHS and w.lower() not in _FRAME}
    found |= set(_OPTION.findall(question))
    found |= {n.rstrip(".") for n in re.findall(r"(?<![\w.-])\d+(?:\.\d+)*", question)}
    return found


def _name_key(word: str) -> str:
    return re.sub(r"['’]s$", "", word).lower()


def _named_in(text: str) -> set[str]:
    """The names, options and numbers a text says; a name with a number attached ("C89",
    "Python3") says the name too.

    >>> sorted(_named_in("Code must conform to C89, mode 0750."))
    ['0750', '750', '89', 'c', 'c89', 'code', 'conform', 'mode', 'must', 'to']
    """
    return ({_name_key(w) for w in _WORD.findall(text)} | set(_OPTION.findall(text))
            | {n.rstrip(".") for n in re.findall(r"\d+(?:\.\d+)*", text)}
            | {n.lstrip("0") for n in re.findall(r"\b0\d+\b", text)}
            | {m.lower() for m in re.findall(r"\b([A-Za-z]+)\d+(?:\.\d+)*\b", text)})


# a phrase that names a document's subject without its name: "work in our country"
_SUBJECT_REFERENCE = re.compile(r"\b(?:our|this|the|its|their) (?:country|nation|state|government|republic|kingdom|"
                                r"organi[sz]ation|company|city|region|university|party|project|library|program(?:me)?)\b",
                                re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def document_subjects(text: str, most: int = 3, least: int = 3) -> frozenset[str]:
    """What a document is about: its `most` most repeated names (capitalised words it never
    writes in lower case), each said at least `least` times.

    >>> sorted(document_subjects("The IOM met. Turkmenistan hosts. Turkmenistan met the IOM. Our country, Turkmenistan, won."))
    ['turkmenistan']
    """
    counts: dict[str, int] = {}
    lower = set()
    for w in _WORD.findall(text):
        if w[:1].isupper():
            counts[_name_key(w)] = counts.get(_name_key(w), 0) + 1
        else:
            lower.add(w.lower())
    names = sorted(((n, k) for k, n in counts.items() if n >= least and k not in lower), reverse=True)
    return frozenset(k for _, k in names[:most])


def entity_problem(question: str, quoted: str, source: str = "", subjects: frozenset[str] = frozenset(),
                   entry: str = "") -> str | None:
    """Why the evidence is about something else: what the question names is missing from
    the quote, from the name of its file (a manual's lines don't repeat it), from the head
    of the option `entry` the quote sits in (manual_entries.py) and, when the quote refers
    to one ("our country"), from the document's `subjects`.

    >>> entity_problem("Where did Madrakhimov meet the IOM coordinator?",
    ...                "Meredov and Hajiyev (IOM) met at the MFA of Turkmenistan.")
    "the sentence does not mention 'Madrakhimov'"
    >>> entity_problem("Where did Madrakhimov meet the IOM coordinator?",
    ...                "Madrakhimov met Hajiyev of the IOM. This encounter in Tashkent was long.") is None
    True
    >>> entity_problem("What does the --turbo option of tar do?", "-z, --gzip Filter through gzip.", "man_tar.txt")
    "the sentence does not mention '--turbo'"
    >>> entity_problem("With what mode does curl --create-dirs create directories?",
    ...                "Created dirs are made with mode 0750.", "man_curl.txt", entry="--create-dirs When used ...") is None
    True
    >>> subjects = frozenset({"turkmenistan"})
    >>> entity_problem("Which plan does Turkmenistan follow?", "Our country follows the 2019 plan.", "", subjects) is None
    True
    >>> entity_problem("When was Turkmenistan declared neutral?", "In 1995 Japan was declared neutral.", "", subjects)
    "the sentence does not mention 'Turkmenistan'"
    """
    present = _named_in(quoted) | _named_in(re.sub(r"[\W_]+", " ", source)) | _named_in(entry)
    if _SUBJECT_REFERENCE.search(quoted):
        present |= subjects
    named = {_name_key(w): w for w in _WORD.findall(question)[1:]}
    missing = [named.get(e, e) for e in sorted(question_entities(question)) if e not in present]
    if missing:
        return f"the sentence does not mention {', '.join(map(repr, missing))}"
    return None


def is_identity_question(question: str) -> bool:
    """Does the question ask what or who something named is ("Who is X?", "X's role")?

    >>> is_identity_question("Who is the Minister of Foreign Affairs of Turkmenistan?")
    True
    >>> is_identity_question("What is Zeynal Hajiyev's role at the IOM?"), is_identity_question("Who did Ana meet?")
    (True, False)
    """
    q = " ".join(question.lower().split())
    return bool(re.match(r"(?:who|what) (?:is|was|are|were)\b", q)) and not re.search(
        r"\b(?:do|does|did)\b", q)


def owner_before(text: str, start: int) -> str | None:
    """The name a span is attached to as an apposition ("Ana Lee, the director"): a run of
    capitalised words ending in a comma, ", the" or a bracket just before the span (the
    span's own capitalised opening words, like "Deputy", set aside), else None.

    >>> t = "Muzaffar Madrakhimov, Deputy Minister of Uzbekistan, and Zeynal Hajiyev, the IOM's Coordinator"
    >>> owner_before(t, t.index("Minister")), owner_before(t, t.index("Coordinator"))
    ('Muzaffar Madrakhimov', 'Zeynal Hajiyev')
    >>> owner_before("He met Ana there.", 7) is None
    True
    """
    before = re.sub(r"(?:\b[A-Z][\w'’-]*\s+)+$", "", text[:start])
    m = re.search(r"((?:[A-Z][\w'’.-]*\s+){0,5}[A-Z][\w'’.-]*)\s*(?:,\s*(?:the\s+)?|\()\s*$", before)
    return m.group(1) if m else None


def owner_problem(question: str, text: str, start: int) -> str | None:
    """Why the span describes the wrong name: the name it is attached to is not one the
    question asks about (for "who is X" questions), or is the very one asked about when
    the question wants someone else ("who did X meet").

    >>> t = "Muzaffar Madrakhimov, Deputy Minister of Uzbekistan, and Zeynal Hajiyev, the IOM's Coordinator"
    >>> owner_problem("What is Zeynal Hajiyev's role at the IOM?", t, t.index("Deputy"))
    "it describes 'Muzaffar Madrakhimov', not what the question names"
    >>> owner_problem("What is Zeynal Hajiyev's role at the IOM?", t, t.index("Coordinator")) is None
    True
    >>> owner_problem("Who did Muzaffar Madrakhimov meet?", t, t.index("Deputy"))
    "it describes 'Muzaffar Madrakhimov', whom the question asks about, not the answer"
    """
    owner = owner_before(text, start)
    asked = question_entities(question)
    if owner is None or not asked:
        return None
    owned = {_name_key(w) for w in _WORD.findall(owner)}
    if is_identity_question(question):
        return None if owned & asked else f"it describes {owner!r}, not what the question names"
    if owned & asked and not re.match(r"\s*(?:who|what|which)\b.*\b(?:is|are|was|were)\b", question.lower()):
        return f"it describes {owner!r}, whom the question asks about, not the answer"
    return None
