"""Files on disk -> Documents. All reading and decoding of source files happens here.

It finds `.txt` and `.md` files below a folder, decodes them, splits off a leading
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
from .types import Document

# " date 2024-02-29 On 29 February ..." -> date 2024-02-29, body starts at "On".
_DATE_HEADER = re.compile(r"\A\ufeff?\s*date\s+(\d{4}-\d{2}-\d{2})(?:[ \t]+|[ \t]*\r?\n|\Z)")


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
    """Every document file below `folder`, sorted, hidden folders and files left out.

    Files that must not be read (see the module docstring) are listed with their `skip`
    reason, so the indexing report names them.
    """
    root = Path(folder)
    if not root.exists():
        raise DocumentsError(
            f"documents folder {printable(str(root))!r} does not exist; pass the folder that holds "
            f"your .txt and .md files (for example: rag index seeds)"
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
            if name.startswith(".") or not name.lower().endswith(settings.extensions):
                continue
            found.append(_found(root, real_root, here / name))
    return sorted(found, key=lambda f: f.source)


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


def read_document(found: FoundFile, settings: LoadingSettings) -> Document | SkippedFile:
    """Read and decode one file; any problem becomes a SkippedFile with the fix in it."""
    if found.skip:
        return SkippedFile(found.source, found.skip)
    if found.size > settings.max_file_bytes:
        return SkippedFile(
            found.source,
            f"{found.size / 1e6:.1f} MB is over the {settings.max_file_bytes / 1e6:.0f} MB limit; "
            f"split the file or raise loading.max_file_bytes",
        )
    try:
        data = found.path.read_bytes()
    except OSError as exc:
        return SkippedFile(found.source, f"unreadable ({exc.strerror or exc}); check its permissions")
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if b"\x00" in data[:8192] and not utf16:
        return SkippedFile(found.source, "binary file (contains NUL bytes); only plain text is indexed")
    text = decode_text(data)
    if text is None:
        return SkippedFile(
            found.source,
            "not valid UTF-8 text; re-save it as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8)",
        )
    date, body_start = parse_date_header(text)
    if not text[body_start:].strip():
        return SkippedFile(found.source, "empty: no text to index")
    return Document(
        source=found.source,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        body_start=body_start,
        date=date,
    )


def decode_text(data: bytes) -> str | None:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM; None for anything else.

    We refuse to guess a legacy code page: a wrong guess would index mojibake and cite
    quotes that don't match what the user sees in the file.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_source_text(folder: str | os.PathLike, source: str) -> str | None:
    """Current text of an indexed file, for quote verification; None if it is gone,
    unreadable, or (a link changed since indexing) outside the folder."""
    path = Path(folder) / source
    try:
        if not inside_folder(os.path.realpath(folder), os.path.realpath(path)):
            return None
        return decode_text(path.read_bytes())
    except (OSError, ValueError):
        return None

