"""Pure: the words of drafts and questions, a drafted answer's claims, and the check that a
citation's quote is still the file's own text.

`content_words` (a draft's or question's words, stop words dropped, light suffixes
stripped) and `split_claims` (a chat model's reply as claims, [n] markers removed) serve the
readers and the follow-up rewriting; `quote_in_file` is what the tests and the faces use
to check a quote against the file. Deciding whether a draft answers the question is
grounding.py's and answer_rules.py's.

No I/O: callers pass the files' current text. Nothing here knows about models.
"""
from __future__ import annotations

import re

from .chunking import line_of, line_starts, split_sentences
from .types import Citation

_TOKEN = re.compile(r"[^\W_]+")
_CITATION_MARK = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
STOPWORDS = frozenset(
    """a an the of in on at to for from by with about as into onto over under between among
    and or but nor so yet if then than that this these those there here it its it's they them
    their he him his she her hers we us our you your i me my is are was were be been being am
    do does did done has have had having will would shall should can could may might must
    what which who whom whose when where why how whatever whoever also not no yes only just
    very more most much many some any each all both either neither such same other own
    answer question passage passages according document documents text""".split()
)


def normalize_word(word: str) -> str:
    """Lower-case, drop leading zeros and possessives, and strip common suffixes, so that
    "pledged"/"pledge", "meetings"/"meeting" and "02"/"2" compare equal.

    >>> [normalize_word(w) for w in ["Meetings", "02", "Hajiyev's", "class", "pledged", "pledge"]]
    ['meet', '2', 'hajiyev', 'class', 'pledg', 'pledg']
    """
    word = word.lower()
    if word.isdigit():
        return word.lstrip("0") or "0"
    if word.endswith("'s") or word.endswith("’s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def content_words(text: str) -> set[str]:
    """
    >>> sorted(content_words("Who is the Minister of Foreign Affairs?"))
    ['affair', 'foreign', 'minister']
    """
    words = set()
    for token in _TOKEN.findall(text.replace("’", "'")):
        if token.lower() in STOPWORDS:
            continue
        words.add(normalize_word(token))
    return words


def split_claims(answer: str) -> list[str]:
    """Sentences of an answer, with [n] markers removed.

    >>> split_claims("Rashid Meredov [1]. He met Hajiyev [2, 3].")
    ['Rashid Meredov.', 'He met Hajiyev.']
    """
    clean = _CITATION_MARK.sub("", answer).strip()
    return [clean[a:b] for a, b in split_sentences(clean)]


def quote_in_file(citation: Citation, file_text: str) -> bool:
    """True when the quote is exactly the file's text at the cited span and lines."""
    if file_text[citation.start_char:citation.end_char] != citation.quote:
        return False
    starts = line_starts(file_text)
    return (line_of(starts, citation.start_char), line_of(starts, citation.end_char - 1)) == (
        citation.start_line, citation.end_line)
