"""Pure: which indexed files may answer one question (by name pattern and by date).

A `DocumentFilter` holds the patterns and the inclusive date bounds a question was asked
with; `scope` applies it to an index's files and names the files left, or raises
NoMatchingDocumentsError saying what does exist. Retrieval then searches only the chunks
of those files (store.py, retrieval.py), so k results come from the allowed files rather
than k results cut down to fewer. No I/O here: a file's modification time, the date of a
file without a `date` header, is asked of the function the caller passes in.

The name rule, like .gitignore's: a pattern matches a file's source (its path relative to
the documents folder, with forward slashes). `*` is any run of characters but `/`, `?`
one character but `/`, `[abc]` and `[!abc]` one of (or none of) those characters, and `**`
any run including `/` (`**/` also matches no folder at all). A pattern without `/` is
matched against the file's base name, in any folder; one with `/` against the whole
source; one ending in `/` matches everything under that folder. Letters match in either
case, and a leading `./` is ignored.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from .errors import FilterError, NoMatchingDocumentsError

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHOWN_FILES = 5  # file names a no-match message lists


def parse_day(value, what: str) -> date:
    """A date bound given as a `date` or as "YYYY-MM-DD"; FilterError names the fix.

    >>> parse_day("2024-02-29", "since"), parse_day(date(2024, 1, 5), "until")
    (datetime.date(2024, 2, 29), datetime.date(2024, 1, 5))
    >>> parse_day("2024-13-01", "since")
    Traceback (most recent call last):
    rag.errors.FilterError: since '2024-13-01' is not a real date (month must be in 1..12); give it as YYYY-MM-DD, e.g. 2024-03-01
    >>> parse_day("yesterday", "until")
    Traceback (most recent call last):
    rag.errors.FilterError: until 'yesterday' is not a date; give it as YYYY-MM-DD, e.g. 2024-03-01
    """
    fix = "give it as YYYY-MM-DD, e.g. 2024-03-01"
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DAY.fullmatch(value.strip()):
        raise FilterError(f"{what} {value!r} is not a date; {fix}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise FilterError(f"{what} {value!r} is not a real date ({exc}); {fix}") from None


@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern:
    """The regular expression of a name pattern (the rule is in the module docstring).

    >>> [bool(glob_regex("*.pdf").fullmatch(s)) for s in ("a.pdf", "A.PDF", "sub/a.pdf")]
    [True, True, False]
    >>> [bool(glob_regex("reports/**/*.md").fullmatch(s)) for s in ("reports/a.md", "reports/x/y/a.md", "a.md")]
    [True, True, False]
    >>> [bool(glob_regex("notes_[0-9]?.txt").fullmatch(s)) for s in ("notes_17.txt", "notes_x7.txt", "notes_1/.txt")]
    [True, False, False]
    >>> glob_regex("[z-a].txt")
    Traceback (most recent call last):
    rag.errors.FilterError: source pattern '[z-a].txt' is not a valid pattern (bad character range z-a); write ranges low to high, as in [a-z]
    """
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := _class_end(pattern, i)) != -1:
            negate = pattern[i + 1] == "!"
            inside = re.sub(r"([\\^\[])", r"\\\1", pattern[i + 1 + negate:end])
            out.append(f"[^{inside}/]" if negate else f"[{inside}]")  # never "/": a name's character
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    try:
        return re.compile("".join(out), re.IGNORECASE)
    except re.error as exc:
        raise FilterError(f"source pattern {pattern!r} is not a valid pattern ({exc.msg}); write ranges "
                          f"low to high, as in [a-z]") from None


def _class_end(pattern: str, start: int) -> int:
    """Where the `[...]` set opened at `start` closes (-1: it doesn't, "[" is literal); a
    "]" right after "[" or "[!" belongs to the set."""
    first = start + 1 + (pattern[start + 1:start + 2] == "!")
    return pattern.find("]", first + 1)


def source_matches(pattern: str, source: str) -> bool:
    """Whether a file's source (relative path, forward slashes) matches a name pattern.

    >>> source_matches("*.pdf", "sub/a.pdf"), source_matches("a.pdf", "sub/a.pdf")
    (True, True)
    >>> source_matches("sub/*.pdf", "sub/deeper/a.pdf"), source_matches("sub/", "sub/deeper/a.pdf")
    (False, True)
    >>> source_matches("./000_*.txt", "000_dc7361d3392e1266.txt")
    True
    """
    pattern = pattern.removeprefix("./")
    if pattern.endswith("/"):
        pattern += "**"
    name = source if "/" in pattern else source.rsplit("/", 1)[-1]
    return glob_regex(pattern).fullmatch(name) is not None


def file_day(header: str | None, mtime: float | None) -> date | None:
    """A file's date: its `date YYYY-MM-DD` header, else the local date of its
    modification time; None (unknown) when the header is not a real date or there is
    neither.

    >>> file_day("2024-02-29", 0.0), file_day("2024-02-30", 0.0), file_day(None, None)
    (datetime.date(2024, 2, 29), None, None)
    """
    if header is not None:
        try:
            return date.fromisoformat(header)
        except ValueError:
            return None
    return None if mtime is None else date.fromtimestamp(mtime)


@dataclass(frozen=True)
class DocumentFilter:
    """Which files may answer: any of `sources` (name patterns; empty: every name), dated
    from `since` to `until`, both inclusive (None: no bound). Built from lists and
    "YYYY-MM-DD" strings too; a bad value raises FilterError.

    >>> f = DocumentFilter(["*.txt"], since="2024-03-01")
    >>> f.matches("notes/a.txt", date(2024, 3, 1)), f.matches("a.pdf", date(2024, 3, 1))
    (True, False)
    >>> f.matches("a.txt", date(2024, 2, 29)), f.matches("a.txt", None)
    (False, False)
    >>> f.describe()
    "source '*.txt', dated on or after 2024-03-01"
    >>> DocumentFilter(since="2024-05-01", until="2024-04-01")
    Traceback (most recent call last):
    rag.errors.FilterError: since 2024-05-01 is after until 2024-04-01, so no date is in between; swap them or widen the range
    """

    sources: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    def __post_init__(self):
        sources = _patterns(self.sources)
        for pattern in sources:
            if not pattern.strip():
                raise FilterError(f"source pattern {pattern!r} is empty; give a file name or a pattern "
                                  f"such as '*.pdf' or 'reports/**'")
            glob_regex(pattern.strip().removeprefix("./"))  # a malformed pattern fails here, not mid-search
        since = None if self.since is None else parse_day(self.since, "since")
        until = None if self.until is None else parse_day(self.until, "until")
        if since and until and since > until:
            raise FilterError(f"since {since} is after until {until}, so no date is in between; "
                              f"swap them or widen the range")
        for name, value in (("sources", tuple(p.strip() for p in sources)), ("since", since), ("until", until)):
            object.__setattr__(self, name, value)

    @classmethod
    def of(cls, sources: Iterable[str] | str | None = None, since=None, until=None) -> DocumentFilter | None:
        """The filter of a question's keywords, or None when none is given (search all).

        `sources=[]` allows no file, so it is refused rather than read as "all files".

        >>> DocumentFilter.of() is None, DocumentFilter.of("a.txt").sources
        (True, ('a.txt',))
        >>> DocumentFilter.of([])
        Traceback (most recent call last):
        rag.errors.FilterError: sources is an empty list, which allows no file; leave it out (None) to search every file, or give patterns such as '*.pdf'
        """
        sources = None if sources is None else _patterns(sources)
        if sources == ():
            raise FilterError("sources is an empty list, which allows no file; leave it out (None) to "
                              "search every file, or give patterns such as '*.pdf'")
        if sources is None and since is None and until is None:
            return None
        return cls(sources or (), since, until)

    @property
    def dated(self) -> bool:
        """Whether the filter bounds dates (then files of unknown date are left out)."""
        return self.since is not None or self.until is not None

    def matches_name(self, source: str) -> bool:
        return not self.sources or any(source_matches(p, source) for p in self.sources)

    def matches_day(self, day: date | None) -> bool:
        if not self.dated:
            return True
        return day is not None and (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until)

    def matches(self, source: str, day: date | None) -> bool:
        """Whether a file with this source and date may answer (unknown date: only
        when no date bound is given)."""
        return self.matches_name(source) and self.matches_day(day)

    def names(self) -> str:
        """The name patterns as people read them: source 'a*' or 'b.txt'."""
        return f"source {' or '.join(repr(p) for p in self.sources)}"

    def describe(self) -> str:
        parts = [self.names()] if self.sources else []
        if self.dated:
            parts.append(f"dated {_date_range(self.since, self.until)}")
        return ", ".join(parts)


def _patterns(sources) -> tuple[str, ...]:
    """Patterns as a tuple of text: one pattern alone, or a path, counts as a list of one."""
    if isinstance(sources, (str, os.PathLike)):
        sources = (sources,)
    patterns = tuple(os.fspath(p) if isinstance(p, os.PathLike) else p for p in sources or ())
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise FilterError(f"source pattern {pattern!r} is not text; give file names or patterns "
                              f"such as '*.pdf'")
    return patterns


def _date_range(since: date | None, until: date | None) -> str:
    if since and until:
        return f"{since} to {until}" if since != until else f"on {since}"
    return f"on or after {since}" if since else f"on or before {until}"


@dataclass(frozen=True)
class FilterScope:
    """The files a filter leaves of an index: `allowed` of `total`, and how many matched
    the name patterns but were left out because their date is unknown."""

    allowed: tuple[str, ...]
    total: int
    undated: int = 0

    def note(self, document_filter: DocumentFilter) -> str:
        """What an abstention's reason adds: where it looked.

        >>> FilterScope(("a.txt",), 3, 1).note(DocumentFilter(since="2024-01-01"))
        'searched 1 of 3 files (dated on or after 2024-01-01; 1 file without a known date left out)'
        """
        undated = f"; {_files(self.undated)} without a known date left out" if self.undated else ""
        return f"searched {len(self.allowed)} of {_files(self.total)} ({document_filter.describe()}{undated})"


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def scope(document_filter: DocumentFilter, files: Mapping[str, str | None],
          mtime: Callable[[str], float | None]) -> FilterScope:
    """The files (source -> `date` header or None) the filter allows; `mtime(source)` is
    asked only for the date of a file without a header when a date bound is given.
    NoMatchingDocumentsError when none is allowed, naming what the index does hold.

    >>> files = {"a.txt": "2024-01-10", "b.md": None}
    >>> scope(DocumentFilter(since="2024-01-01"), files, lambda s: None)
    FilterScope(allowed=('a.txt',), total=2, undated=1)
    >>> scope(DocumentFilter(["*.pdf"]), files, lambda s: None)
    Traceback (most recent call last):
    rag.errors.NoMatchingDocumentsError: no indexed file matches source '*.pdf'; the index holds 2 files: a.txt, b.md; give a name or pattern one of them matches (a pattern without '/' matches the base name in any folder)
    """
    named = [s for s in sorted(files) if document_filter.matches_name(s)]
    if not named:
        raise NoMatchingDocumentsError(_no_name_matches(document_filter, sorted(files)))
    if not document_filter.dated:
        return FilterScope(tuple(named), len(files))
    days = {s: file_day(files[s], mtime(s) if files[s] is None else None) for s in named}
    allowed = tuple(s for s in named if document_filter.matches_day(days[s]))
    undated = sum(day is None for day in days.values())
    if not allowed:
        raise NoMatchingDocumentsError(_no_date_matches(document_filter, named, days))
    return FilterScope(allowed, len(files), undated)


def _no_name_matches(document_filter: DocumentFilter, sources: list[str]) -> str:
    if not sources:
        return "the index holds no files yet; add documents, then ask again"
    shown = ", ".join(sources[:_SHOWN_FILES]) + (", ..." if len(sources) > _SHOWN_FILES else "")
    return (f"no indexed file matches {document_filter.names()}; the index holds {_files(len(sources))}: {shown}; "
            f"give a name or pattern one of them matches (a pattern without '/' matches the base name "
            f"in any folder)")


def _no_date_matches(document_filter: DocumentFilter, named: list[str], days: Mapping[str, date | None]) -> str:
    """
    >>> _no_date_matches(DocumentFilter(["a*"], until="2023-12-31"), ["a.txt"], {"a.txt": date(2024, 1, 2)})
    "no indexed file is dated on or before 2023-12-31: the 1 file matching source 'a*' is dated 2024-01-02; widen the dates (a file's date is its 'date YYYY-MM-DD' first line, else the day it was last modified)"
    """
    known = sorted(d for d in days.values() if d is not None)
    which = f"the {_files(len(named))} " + (
        f"matching {document_filter.names()}" if document_filter.sources else "indexed")
    verb = "is" if len(named) == 1 else "are"
    undated = len(named) - len(known)
    if not known:
        held = "without a known date, which a date bound leaves out"
    else:
        held = f"dated {known[0]} to {known[-1]}" if known[0] != known[-1] else f"dated {known[0]}"
        if undated:
            held += f" ({_files(undated)} without a known date, which a date bound leaves out)"
    return (f"no indexed file is dated {_date_range(document_filter.since, document_filter.until)}: {which} "
            f"{verb} {held}; widen the dates (a file's date is its 'date YYYY-MM-DD' first line, "
            f"else the day it was last modified)")
