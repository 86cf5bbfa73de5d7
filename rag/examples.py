r"""Pure: example questions for the chat page, taken from the documents that are loaded.

When the seed documents are indexed, the seed question set's questions about them
(`tests/data/seeds_qa.jsonl` in a checkout): a few answerable ones and one the documents
can't answer, to show what an abstention looks like. Otherwise questions the documents
themselves suggest, at most one per document: about what its first lines define, in the
definition's own words, which find the passage ("tail - output the last part of files" ->
"Which command can output the last part of files?", "tmux is a terminal multiplexer: ..."
-> "What is a terminal multiplexer?"), else a question it asks in a line of its own ("How
is pycparser licensed?"). Documents without either give none, so a folder of plain notes
shows no examples rather than made-up ones. Nothing here reads files.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

Keep = Callable[[str, str], bool]  # (question, the source it was made from) -> keep it?
SEED_QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "seeds_qa.jsonl"
MAX_EXAMPLES = 4
MAX_CHARS = 70  # an example is a button: longer ones are cut off on a narrow screen
_HEAD_CHARS = 3000  # where a document's own questions are looked for
_FIRST_CHARS = 1500  # ... and its first sentences, which may define what it is about
_MAX_WORDS = 10  # a longer definition is cut at a comma, or not used
_NOT_NAMES = {"here", "there", "this", "that", "it", "what", "which", "who", "below", "above", "following"}
_DANGLING = {"a", "an", "the", "and", "or", "of", "for", "in", "on", "to", "with", "by", "from", "that"}
# Imperatives that open a man page's description ("output the last part of files"); any
# other opening is a noun phrase ("stream editor for ...") and gets an article instead.
_VERBS = {"output", "copy", "print", "report", "list", "remove", "compare", "estimate", "determine",
          "compress", "decompress", "transfer", "sort", "split", "run", "translate", "make", "columnate",
          "display", "show", "change", "create", "delete", "set", "convert", "search", "find", "count",
          "concatenate", "write", "read", "send", "format", "check", "merge", "join", "extract", "encode",
          "decode", "move", "rename", "link", "filter", "wait", "execute", "manage", "build"}
_QUESTION_LINE = re.compile(
    r"^[#*\s]*((?:what|how|which|who|when|where|why|can|does|do|is)\b[^\n?]{8,80}\?)[*\s]*$", re.I | re.M)
_PRONOUNS = re.compile(r"\b(?:it|its|they|them|this|that|these|those|he|she)\b", re.I)
# a man page's NAME paragraph: "tail - output the last part of files" (may wrap)
_MAN_NAME = re.compile(r"^NAME[ \t]*\n[ \t]+[\w.+-]+(?:,[ \t]*[\w.+-]+)*[ \t]+(?:-+[ \t]+[^\n]*?[ \t])?-+[ \t]+"
                       r"(?P<what>[^\n]+(?:\n[ \t]+\S[^\n]*)*)", re.M)
# "tmux is a terminal multiplexer", "**Requests** is a simple ... library", "zlib 1.2.13 is a ..."
_DEFINITION = re.compile(r"^[*_]*(?P<name>[A-Za-z][\w.+-]{1,30}?)[*_]*(?:\s+v?\d[\w.]*)?\s+is\s+"
                         r"(?P<what>(?:a|an|the)\s[^\n]*(?:\n[^\n]+)?)", re.M)


def example_questions(first_texts: Mapping[str, str], seed_rows: Iterable[dict] = (),
                      limit: int = MAX_EXAMPLES, keep: Keep | None = None) -> list[str]:
    r"""Up to `limit` example questions for documents whose opening text is `first_texts`
    (source -> the start of its text); `seed_rows` are the seed question set's rows.
    `keep(question, source)` may turn a question down (the app keeps those whose best
    passage is in their own document); at most 3 x `limit` are offered to it.

    >>> example_questions({"man_tail.txt": "NAME\n       tail - output the last part of files\n",
    ...                    "faq.md": "# Setup\n\n## How is the tool licensed?\n\nMIT.\n",
    ...                    "notes.txt": "Bought milk. Called Ana about the trip."})
    ['How is the tool licensed?', 'Which command can output the last part of files?']
    >>> rows = [{"question": "Who is the minister?", "answerable": True, "sources": ["a.txt"]},
    ...         {"question": "What is the capital of Peru?", "answerable": False, "sources": []}]
    >>> example_questions({"a.txt": "..."}, rows)
    ['Who is the minister?', 'What is the capital of Peru?']
    """
    seeded = seed_examples(set(first_texts), seed_rows, limit)
    if seeded:
        return seeded
    found = [(q, source) for source, text in sorted(first_texts.items())
             if (q := document_question(text)) and len(q) <= MAX_CHARS]
    chosen: list[str] = []
    for question, source in _spread(found, 3 * limit):
        if question not in chosen and (keep is None or keep(question, source)):
            chosen.append(question)
        if len(chosen) == limit:
            break
    return chosen


def seed_examples(sources: set[str], rows: Iterable[dict], limit: int = MAX_EXAMPLES) -> list[str]:
    """The seed set's shortest answerable questions about the indexed files, and its
    shortest unanswerable one, when every file the set names is indexed (else none)."""
    rows = list(rows)
    named = {s for row in rows for s in row.get("sources", [])}
    if not rows or not named or not named <= sources:
        return []
    answerable = sorted((r["question"] for r in rows if r.get("answerable")), key=len)
    unanswerable = sorted((r["question"] for r in rows if not r.get("answerable")), key=len)
    return answerable[:limit - 1] + unanswerable[:1] if unanswerable else answerable[:limit]


def document_question(text: str) -> str | None:
    r"""The question a document's opening suggests, or None.

    >>> document_question("NAME\n       du - estimate file space usage\n")
    'Which command can estimate file space usage?'
    >>> document_question("NAME\n       sed - stream editor for filtering and transforming text\n")
    'Which command is a stream editor for filtering and transforming text?'
    >>> document_question("Welcome to tmux!\n\ntmux is a terminal multiplexer: it enables ...")
    'What is a terminal multiplexer?'
    >>> document_question("What is it good for?\nParsing C.") is None   # a pronoun: not on its own
    True
    """
    head = text[:_HEAD_CHARS]
    match = _MAN_NAME.search(head)
    described = _clause(match.group("what")) if match else None
    if described:
        first = described.split()[0]
        if first.lower() in _VERBS:
            return f"Which command can {first.lower()}{described[len(first):]}?"
        if first.lower() in ("a", "an", "the"):
            described = first.lower() + described[len(first):]
        else:  # "Stream editor ..." -> "a stream editor ...", "GNU make ..." -> "a GNU make ..."
            lowered = first.lower() if first[1:].islower() else first
            described = f"{'an' if first[0].lower() in 'aeiou' else 'a'} {lowered}{described[len(first):]}"
        return f"Which command is {described}?"
    for match in _DEFINITION.finditer(head[:_FIRST_CHARS]):
        name = match.group("name")  # a name the opening mentions again, not "Here is a"
        if name.lower() in _NOT_NAMES or len(re.findall(rf"(?<![\w-]){re.escape(name)}(?![\w-])", head)) < 2:
            continue
        if described := _clause(match.group("what")):
            return f"What is {described}?"
    for match in _QUESTION_LINE.finditer(head):
        question = " ".join(match.group(1).split())
        if not _PRONOUNS.search(question):
            return question[0].upper() + question[1:]
    return None


def _clause(text: str) -> str | None:
    """The start of a description, up to a colon, full stop, bracket or version; cut at a
    comma when longer than _MAX_WORDS words, None when it can't be cut there.

    >>> _clause("a block-sorting file compressor, v1.0.8")
    'a block-sorting file compressor'
    >>> _clause("a terminal multiplexer: it enables a number")
    'a terminal multiplexer'
    >>> _clause("the Python package that will bring back the joy of writing classes by relieving you") is None
    True
    """
    text = " ".join(re.split(r"[:;(]|\.\s|\.$|,\s*v?\d", text.strip(), maxsplit=1)[0].split())
    words = text.split()
    while len(words) > _MAX_WORDS and "," in " ".join(words[:-1]):
        words = " ".join(words).rsplit(",", 1)[0].split()
    while words and words[-1].lower().strip(",") in _DANGLING:
        words.pop()
    clause = " ".join(words).rstrip(",")
    return clause if words and len(words) <= _MAX_WORDS else None


def load_seed_rows(path: Path = SEED_QUESTIONS) -> list[dict]:
    """The seed question set's rows; none when it is missing or unreadable (an installed
    package has no tests/ folder)."""
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError):
        return []


def _spread(items: list, count: int) -> list:
    """`count` items evenly spaced through the list, so examples span the folder.

    >>> _spread(list("abcdefgh"), 3)
    ['a', 'c', 'f']
    """
    if len(items) <= count:
        return items
    return [items[i * len(items) // count] for i in range(count)]
