"""Pure: the option entry of a manual page that a sentence sits in.

A manual describes each option in an entry: the option's name line, then paragraphs
indented deeper. A sentence inside the entry is about that option even when it doesn't
name it ("Created dirs are made with mode 0750", "This option accepts decimal values",
"The default is 16 rounds."), so the entry's head (its name line and first sentence)
tells what the sentence is about. No I/O.
"""
from __future__ import annotations

import re

OPTION_LINE = re.compile(r"^\s*-{1,2}[\w?#]")  # a manual's option line: "-z, --gzip"
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_MOST_LINES_UP = 80
_MOST_HEAD_CHARS = 400


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def entry_head(text: str, offset: int) -> str:
    """The name line and first sentence of the option entry that holds text[offset], "" when
    the offset is in none: walking up, every line is blank or indented deeper than the
    entry's name line, which starts with "-" or "--".

    >>> page = ("OPTIONS\\n  -a rounds\\n      Sets the number of KDF rounds. Higher is slower.\\n\\n"
    ...         "      The default is 16 rounds.\\n  -b bits\\n      Key size.\\n")
    >>> entry_head(page, page.index("The default"))
    '-a rounds Sets the number of KDF rounds.'
    >>> entry_head(page, page.index("Key size")), entry_head(page, page.index("OPTIONS"))
    ('-b bits Key size.', '')
    >>> entry_head("Intro text.\\n  More text here.\\n", 20)
    ''
    """
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    line = text[start:end]
    if OPTION_LINE.match(line):
        return _head(line, text[end:])
    depth, pos = _indent(line), start  # pos: where the line below the one looked at starts
    for _ in range(_MOST_LINES_UP):
        if pos == 0:
            return ""
        above_start = text.rfind("\n", 0, pos - 1) + 1
        above, pos = text[above_start:pos - 1], above_start
        if not above.strip() or _indent(above) >= depth:
            continue
        return _head(above, text[above_start + len(above):]) if OPTION_LINE.match(above) else ""
    return ""


def _head(label: str, after: str) -> str:
    """The label line and the first sentence of the paragraph that follows it, white space
    folded (a short entry's paragraph may end without a full stop: the next entry is not
    its head).

    >>> _head("  -X FILE", "\\n     exclude files in FILE\\n\\n  --exclude=PATTERN\\n     exclude. More.")
    '-X FILE exclude files in FILE'
    """
    body = " ".join(PARAGRAPH_BREAK.split(after[:_MOST_HEAD_CHARS], maxsplit=1)[0].split())
    first = re.match(r".*?[.!?](?=\s|$)", body)
    return " ".join(f"{label.strip()} {first.group() if first else body}".split())
