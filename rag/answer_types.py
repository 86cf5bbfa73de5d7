"""Pure: what kind of answer a question asks for (a person, date, number, option, place,
identifier or file), and whether a span or a whole quote holds one.

No I/O and no models.
"""
from __future__ import annotations

import re

_MONTHS = ("january february march april may june july august september october november "
           "december jan feb mar apr jun jul aug sep sept oct nov dec").split()
_NUMBER_WORDS = set("""zero one two three four five six seven eight nine ten eleven twelve
twenty thirty forty fifty hundred thousand million billion once twice dozen""".split())
_OPTION = re.compile(r"(?<![\w-])--?[A-Za-z0-9?][\w-]*")
_WORD = re.compile(r"[^\W_]+(?:[-'.][^\W_]+)*")
PERSON, DATE, NUMBER, OPTION, PLACE = "person", "date", "number", "option", "place"
IDENTIFIER = "identifier"  # an environment variable or signal name: XZ_DEFAULTS, TERM
FILE = "file"  # a file's name or path: jcstest.c, utils/fake_libc_include
_FILE_NAME = re.compile(r"[\w.~-]*\w\.[A-Za-z]\w{0,4}\b|\w[\w.~-]*/[\w./~-]*")
_IDENTIFIER = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]*_?[A-Z0-9_]*[A-Z0-9](?![\w-])")
# a value's measure: "What is the default compression level?" asks for a number
_MEASURES = (r"(?:number|value|size|amount|count|limit|level|length|width|depth|mode|range|rate|ratio|port|"
             r"timeout|version)")


def expected_type(question: str) -> str | None:
    """What kind of answer the question asks for, when its wording says (None: any phrase).

    >>> [expected_type(q) for q in ["Who maintains it?", "When was it released?",
    ...  "How many lines does head print?", "Which option makes grep ignore case?",
    ...  "Where is the file kept?", "What does the -z option do?"]]
    ['person', 'date', 'number', 'option', 'place', None]
    >>> [expected_type(q) for q in ["What is xz's default compression preset level?",
    ...  "With what mode are directories created?", "Which signal does timeout send?",
    ...  "Since which curl version is it there?"]]
    ['number', 'number', 'identifier', 'number']
    >>> [expected_type(q) for q in ["Which source file shows the extensions?", "What file format does it write?"]]
    ['file', None]
    """
    q = " ".join(question.lower().split())
    if re.match(r"(?:who|whom|whose)\b|(?:which|what) (?:person|people|author|maintainer)s?\b", q):
        return PERSON
    if re.match(r"(?:when|since when|(?:in )?(?:what|which) (?:date|day|year|month|time)s?)\b", q):
        return DATE
    if re.match(r"(?:how (?:many|much|long|old|far|big|large|often)|(?:with |at |in |since |from )?(?:what|which) "
                rf"(?:\S+ )?(?:percentage|{_MEASURES}))\b", q) or re.search(
                rf"\b(?:default|maximum|minimum|max|min) (?:\w+ ){{0,2}}{_MEASURES}s?\b", q):
        return NUMBER
    if re.match(r"(?:which|what) (?:environment variable|variable|env var|signal)s?\b", q):
        return IDENTIFIER
    if re.match(r"(?:which|what) (?:\w+ ){0,2}(?:option|flag|switch)s?\b", q) and not re.match(
            r"what (?:\w+ ){0,2}(?:option|flag|switch)s? (?:do|does)\b", q):
        return OPTION
    if re.match(r"(?:which|what) (?:\w+ ){0,2}(?:file|filename|script)s?\b(?! (?:system|format|type|size|mode))", q):
        return FILE
    if re.match(r"where\b", q):
        return PLACE
    return None


def type_problem(question: str, span: str) -> str | None:
    """Why the span is not the kind of answer asked for, or None.

    >>> type_problem("How many lines does head print by default?", "10")
    >>> type_problem("How many lines does head print by default?", "the first lines")
    'the question asks for a number but the answer holds none'
    >>> type_problem("Which option makes grep ignore case?", "-i")
    >>> type_problem("Which option makes grep ignore case?", "case distinctions")
    'the question asks for an option but the answer names none'
    >>> type_problem("Who did Madrakhimov meet?", "a significant meeting")
    'the question asks for a person or organisation but the answer names none'
    >>> type_problem("Which signal does timeout send?", "send the TERM signal to COMMAND") is None
    True
    >>> type_problem("Which signal does timeout send?", "-s, --signal=SIGNAL specify the signal to be sent")
    'the question asks for a variable or signal name but the answer names none'
    >>> type_problem("Which source file shows it?", "jcstest.c"), type_problem("Which source file shows it?", "libjpeg-turbo")
    (None, 'the question asks for a file but the answer names none')
    """
    kind = expected_type(question)
    words = [w.lower() for w in _WORD.findall(span)]
    has_number = bool(re.search(r"\d", span)) or any(w in _NUMBER_WORDS for w in words)
    if kind == NUMBER and not has_number:
        return "the question asks for a number but the answer holds none"
    if kind == DATE and not (has_number or any(w in _MONTHS for w in words)):
        return "the question asks for a date but the answer holds none"
    if kind == OPTION and not _OPTION.search(span):
        return "the question asks for an option but the answer names none"
    if kind == PERSON and not any(w[:1].isupper() for w in _WORD.findall(span)):
        return "the question asks for a person or organisation but the answer names none"
    if kind == PLACE and not (re.search(r"[A-Z/~\\]", span) or _FILE_OR_FOLDER.search(span)):
        return "the question asks for a place but the answer names none"
    if kind == FILE and not _FILE_NAME.search(span):
        return "the question asks for a file but the answer names none"
    if kind == IDENTIFIER:
        asked = {w.lower() for w in _WORD.findall(question)}
        if not any(m.group().lower() not in asked for m in _IDENTIFIER.finditer(span)):
            return "the question asks for a variable or signal name but the answer names none"
    return None


# places in technical documents: a file name ("example_tmux.conf"), or a folder of some kind
_FILE_TOKEN = r"\w[\w-]*\.[A-Za-z]\w{0,4}\b"
_FOLDERS = "directory|folder|dir|repository|repo|tree"
_FILE_OR_FOLDER = re.compile(rf"\b{_FILE_TOKEN}|\b(?:{_FOLDERS}|directories|folders)\b", re.IGNORECASE)
_PLACE_PHRASE = re.compile(r"\b(?:in|at|from|near|inside|under|into)\s+(?:the\s+)?(?:[A-Z]|[~./$]|\w+/|"
                           rf"(?:[\w-]+\s+){{0,2}}(?:{_FILE_TOKEN}|(?i:{_FOLDERS})\b))")


def quote_type_problem(question: str, quoted: str) -> str | None:
    """type_problem for a whole quote; a place needs a place phrase ("in Tashkent",
    "at /etc/x"), since any sentence has capitals.

    >>> quote_type_problem("Where did they meet?", "On 2 May, Ana met Bo of Peru.")
    'the question asks for a place but the sentence names none'
    >>> quote_type_problem("Where did they meet?", "This encounter in Tashkent was long.") is None
    True
    >>> quote_type_problem("Where is the example configuration?", "An example configuration is in example_tmux.conf.")
    >>> quote_type_problem("Where does it look for .env?", "It looks in the same directory as the script.")
    >>> quote_type_problem("Where is the example configuration?", "An example configuration helps.")
    'the question asks for a place but the sentence names none'
    """
    if expected_type(question) == PLACE and not _PLACE_PHRASE.search(quoted):
        return "the question asks for a place but the sentence names none"
    return type_problem(question, quoted)


_TYPED = {OPTION: _OPTION, NUMBER: re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])"),
          DATE: re.compile(r"\b(?:1[5-9]|20)\d\d\b")}
