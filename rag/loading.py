"""Files on disk -> Documents. All reading and decoding of source files happens here.

It finds `.txt` and `.md` files below a folder, decodes them, splits off a leading
`date YYYY-MM-DD` header, and explains every file it skips. It does not chunk or embed.
"""
from __future__ import annotations

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
    """Every document file below `folder`, sorted, hidden folders and files left out."""
    root = Path(folder)
    if not root.exists():
        raise DocumentsError(
            f"documents folder {str(root)!r} does not exist; pass the folder that holds "
            f"your .txt and .md files (for example: rag index seeds)"
        )
    if not root.is_dir():
        raise DocumentsError(f"{str(root)!r} is a file, not a folder; pass the folder that holds it")
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(settings.extensions):
                continue
            path = Path(dirpath) / name
            try:
                size = path.stat().st_size
            except OSError:
                size = -1  # reported as unreadable by read_document
            found.append(FoundFile(path.relative_to(root).as_posix(), path, size))
    return found


def read_document(found: FoundFile, settings: LoadingSettings) -> Document | SkippedFile:
    """Read and decode one file; any problem becomes a SkippedFile with the fix in it."""
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
    """Current text of an indexed file, for quote verification; None if it is gone or unreadable."""
    try:
        return decode_text((Path(folder) / source).read_bytes())
    except OSError:
        return None

