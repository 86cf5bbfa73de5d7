"""Files on disk -> Documents. All reading and decoding of source files happens here.

It finds every file below a folder, reads the supported ones (plain text: .txt, .md,
.markdown, .rst and extension-less README/LICENSE/CHANGELOG files that sniff as text; PDF,
DOCX and HTML through formats.py, in a child process), decodes text (UTF-8, UTF-16 with
a BOM, else the encoding charset-normalizer detects), splits off a leading
`date YYYY-MM-DD` header, and explains every file it skips. It does not chunk or embed.

Only what is inside the folder is read: a symbolic link whose target resolves outside it
is skipped (a link inside may point anywhere inside; linked folders are not walked, so
nothing is read twice and link loops can't hang). A name that is not valid UTF-8 can't be
shown, cited or stored in the index's JSON, so that file is skipped, reported under a
printable form of its name (caf\\xe9.txt), and the rest of the folder is indexed.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .config import LoadingSettings
from .errors import DocumentsError
from .formats import FORMATS
from .parse_process import ParserProcess
from .text_cache import TextCache
from .types import Document

# " date 2024-02-29 On 29 February ..." -> date 2024-02-29, body starts at "On".
_DATE_HEADER = re.compile(r"\A\ufeff?\s*date\s+(\d{4}-\d{2}-\d{2})(?:[ \t]+|[ \t]*\r?\n|\Z)")


# Extension-less files read as text when they sniff as text (lower-cased names).
TEXT_NAMES = {"readme", "license", "licence", "changelog"}


@dataclass(frozen=True)
class SkippedFile:
    source: str
    reason: str  # says what is wrong and what to do about it


@dataclass(frozen=True)
class FoundFile:
    source: str  # relative path with forward slashes: the stable key in the index
    path: Path
    size: int
    skip: str | None = None  # why it must not be read, found while listing the folder


def parse_date_header(text: str) -> tuple[str | None, int]:
    """Return (date, offset where the body starts).

    >>> parse_date_header(" date 2024-02-29 On 29 February 2024, a meeting")
    ('2024-02-29', 17)
    >>> parse_date_header("No header here")
    (None, 0)
    """
    match = _DATE_HEADER.match(text)
    if not match:
        return None, 0
    return match.group(1), match.end()


def find_files(folder: str | os.PathLike, settings: LoadingSettings) -> list[FoundFile]:
    """Every file below `folder`, sorted, hidden folders and files left out.

    Files that must not be read (see the module docstring) are listed with their `skip`
    reason, and so are files of no supported format, so the indexing report names every
    file it saw.
    """
    root = Path(folder)
    if not root.exists():
        raise DocumentsError(
            f"documents folder {printable(str(root))!r} does not exist; pass the folder that holds "
            f"your documents (for example: rag index seeds)"
        )
    if not root.is_dir():
        raise DocumentsError(f"{printable(str(root))!r} is a file, not a folder; pass the folder that holds it")
    real_root = os.path.realpath(root)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):  # never into linked folders
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in list(dirnames):
            if (here / name).is_symlink():
                dirnames.remove(name)
                found.append(_found(root, real_root, here / name, folder_link=True))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            item = _found(root, real_root, here / name)
            if item.skip is None and document_kind(name, settings) is None:
                item = FoundFile(item.source, item.path, item.size, _unsupported(item.path, settings))
            found.append(item)
    return sorted(found, key=lambda f: f.source)


def document_kind(name: str, settings: LoadingSettings) -> str | None:
    """"text", "pdf", "docx" or "html" for a file name we read, None for any other.

    >>> s = LoadingSettings()
    >>> [document_kind(n, s) for n in ("a.TXT", "b.pdf", "README", "notes", "c.csv", "d.htm")]
    ['text', 'pdf', 'text', None, None, 'html']
    """
    lower = name.lower()
    if "." not in lower:
        return "text" if lower in TEXT_NAMES else None
    suffix = "." + lower.rsplit(".", 1)[1]
    if suffix not in settings.extensions:
        return None
    return FORMATS.get(suffix, "text")


def _unsupported(path: Path, settings: LoadingSettings) -> str:
    """Why a file of no supported format is skipped: a binary, or text under another name."""
    kinds = ", ".join(settings.extensions)
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192)
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc}); check its permissions"
    if looks_binary(head):
        return f"unknown binary format; only {kinds} files are read (convert it to one of them)"
    return f"not a supported format; rag reads {kinds} files (rename it to .txt if it is plain text)"


def _found(root: Path, real_root: str, path: Path, folder_link: bool = False) -> FoundFile:
    source = path.relative_to(root).as_posix()
    shown = printable(source)
    if shown != source:
        return FoundFile(shown, path, -1, "its name is not valid UTF-8, so it can't be shown or "
                                          "cited; rename it (e.g. convmv -f latin1 -t utf8 --notest)")
    if path.is_symlink():
        target = os.path.realpath(path)
        if not inside_folder(real_root, target):
            return FoundFile(source, path, -1, f"a link to {printable(target)}, outside the documents "
                                               f"folder; copy the file into the folder to index it")
        if folder_link:
            return FoundFile(source, path, -1, f"a link to the folder {printable(target)}; linked "
                                               f"folders are not followed (nothing is indexed twice)")
        try:
            os.path.realpath(path, strict=True)
        except OSError as exc:
            problem = "a link loop" if exc.errno == errno.ELOOP else f"a link to {printable(target)}, which does not exist"
            return FoundFile(source, path, -1, f"{problem}; fix or remove the link")
    try:
        size = path.stat().st_size
    except OSError:
        size = -1  # reported as unreadable by read_document
    return FoundFile(source, path, size)


def inside_folder(real_root: str, real_path: str) -> bool:
    """Whether a resolved path is the resolved folder or below it.

    >>> inside_folder("/docs", "/docs/a/b.txt"), inside_folder("/docs", "/docs2/b.txt")
    (True, False)
    """
    return os.path.commonpath([real_root, real_path]) == real_root


def printable(name: str) -> str:
    """A file name as text that can be printed and stored: bytes that are not UTF-8 (which
    Python keeps as surrogates) are written as escapes.

    >>> printable("caf" + chr(0xDCE9) + ".txt"), printable("café.txt")
    ('caf\\\\xe9.txt', 'café.txt')
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class DocumentReader:
    """Reads found files into Documents; PDF, DOCX and HTML through one child process
    (started on the first such file) and the index's text cache, when given one.
    A context manager: the child process ends on exit."""

    def __init__(self, settings: LoadingSettings, cache: TextCache | None = None):
        self.settings, self.cache = settings, cache
        self._parser: ParserProcess | None = None

    def read(self, found: FoundFile) -> Document | SkippedFile:
        """Read and decode one file; any problem becomes a SkippedFile with the fix in it."""
        s = self.settings
        kind = document_kind(Path(found.source).name, s)
        if found.skip:
            return SkippedFile(found.source, found.skip)
        limit = s.max_file_bytes if kind == "text" else s.max_binary_bytes
        if found.size > limit:
            return SkippedFile(found.source, f"{found.size / 1e6:.1f} MB is over the {limit / 1e6:.0f} MB "
                                             f"limit; split the file or raise loading.max_file_bytes")
        try:
            data = found.path.read_bytes()
        except OSError as exc:
            return SkippedFile(found.source, f"unreadable ({exc.strerror or exc}); check its permissions")
        sha256 = hashlib.sha256(data).hexdigest()
        if kind not in (None, "text"):
            return self._extract(found, kind, sha256)
        if looks_binary(data):
            return SkippedFile(found.source, "binary file (contains NUL bytes); only plain text is indexed")
        text = decode_text(data)
        if text is None:
            return SkippedFile(found.source, "not text in any encoding we can recognise; re-save it as "
                                             "UTF-8 text (e.g. iconv -f CP1252 -t UTF-8)")
        date, body_start = parse_date_header(text)
        if not text[body_start:].strip():
            return SkippedFile(found.source, "empty: no text to index")
        return Document(source=found.source, text=text, sha256=sha256, body_start=body_start, date=date)

    def _extract(self, found: FoundFile, kind: str, sha256: str) -> Document | SkippedFile:
        extracted = self.cache.get(sha256) if self.cache else None
        if extracted is None:
            if self._parser is None:
                s = self.settings
                self._parser = ParserProcess(s.parse_seconds, s.parse_memory_mb, s.parser)
            extracted = self._parser.parse(str(found.path), kind)
            if isinstance(extracted, str):
                return SkippedFile(found.source, extracted)
            if self.cache and extracted.text.strip():
                self.cache.put(sha256, extracted)
        if not extracted.text.strip():
            return SkippedFile(found.source, "empty: no text to index")
        return Document(source=found.source, text=extracted.text, sha256=sha256, kind=kind,
                        pages=extracted.pages, empty_pages=extracted.empty_pages, sections=extracted.sections)

    def close(self) -> None:
        if self._parser is not None:
            self._parser.close()
            self._parser = None

    def __enter__(self) -> "DocumentReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_document(found: FoundFile, settings: LoadingSettings) -> Document | SkippedFile:
    """Read one file on its own (a PDF, DOCX or HTML file starts a parser process for it)."""
    with DocumentReader(settings) as reader:
        return reader.read(found)


def looks_binary(data: bytes) -> bool:
    r"""NUL bytes in the first 8 KB, unless it starts with a UTF-16 byte-order mark.

    >>> looks_binary(b"ELF\x00\x01"), looks_binary("hi".encode("utf-16")), looks_binary(b"text")
    (True, False, False)
    """
    return b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))


def decode_text(data: bytes) -> str | None:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else the encoding charset-normalizer
    finds most likely (Latin-1, CP1252, Shift-JIS...); None when it finds none.

    >>> decode_text("Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, d\u00e9j\u00e0 vu.".encode("cp1252"))
    'Café crème brûlée, déjà vu.'
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return None
    # On short texts several code pages fit equally well; Windows-1252 (which browsers
    # also assume for "Latin-1") is then by far the likeliest, so it wins ties.
    best = matches[0]
    tied = [m for m in matches if m.chaos <= best.chaos and m.coherence >= best.coherence]
    return str(next((m for m in tied if m.encoding == "cp1252"), best))


def read_source_text(folder: str | os.PathLike, source: str, index_dir: str | os.PathLike | None = None
                     ) -> str | None:
    """Current text of an indexed file, for quote verification; None if it is gone,
    unreadable, or (a link changed since indexing) outside the folder.

    A PDF, DOCX or HTML file is never parsed here: its text is the one extracted when it
    was indexed (text_cache.py), found by the hash of the file as it is now.
    """
    path = Path(folder) / source
    try:
        if not inside_folder(os.path.realpath(folder), os.path.realpath(path)):
            return None
        data = path.read_bytes()
    except (OSError, ValueError):
        return None
    if path.suffix.lower() not in FORMATS:
        return decode_text(data)
    if index_dir is None:
        return None
    extracted = TextCache(index_dir).get(hashlib.sha256(data).hexdigest())
    return None if extracted is None else extracted.text
