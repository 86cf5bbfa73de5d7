"""The documents folder as a user manages it: list, add uploaded files, remove one.

Adding copies files in under safe names (no paths, no hidden or odd characters, never
overwriting a different file: a suffix is added instead) after checking each one the way
indexing will read it, so a file that can't be indexed gets its reason and the others go
on. Removing moves the file into the folder's hidden `.removed/` folder (indexing skips
hidden folders), in the same place inside it, so nothing a user owns is deleted and
restoring puts it back where it was. This module changes files only; the
Assistant re-indexes afterwards (see pipeline.py).
"""
from __future__ import annotations

import os
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .config import LoadingSettings
from .errors import DocumentsError
from .indexing import described, document_details
from .loading import DocumentReader, FoundFile, SkippedFile, document_kind
from .store import Manifest
from .text_cache import TextCache

REMOVED_FOLDER = ".removed"
_MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w.\- ()]+")


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed file, as the documents list shows it."""

    source: str
    date: str | None
    chunks: int
    size: int | None  # bytes on disk now; None: the file is gone since it was indexed
    kind: str = "text"  # "pdf", "docx", "html" or "text"
    pages: int | None = None  # PDF pages; None for formats without pages
    empty_pages: tuple[int, ...] = ()  # pages without text (scanned images: not indexed)
    chars: int = 0  # characters of text indexed


@dataclass(frozen=True)
class AddedFile:
    """What happened to one uploaded file: `saved_as` is None when it was refused."""

    name: str  # the name it was uploaded with
    saved_as: str | None
    message: str


def list_documents(manifest: Manifest, docs: str | Path) -> list[DocumentInfo]:
    """The files of an index, sorted by name, with their size in the folder now."""
    return [DocumentInfo(source, entry.date, len(entry.chunk_ids), _size(Path(docs) / source), entry.kind,
                         len(entry.pages) or None, tuple(entry.empty_pages), entry.size)
            for source, entry in sorted(manifest.files.items())]


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def safe_file_name(name: str) -> str:
    """A file name that is safe to create in the documents folder.

    Folders are dropped, odd characters become "_", a leading dot (a hidden file, which
    indexing would skip) is removed, and the length is capped with the extension kept.

    >>> safe_file_name("../../etc/passwd.txt")
    'passwd.txt'
    >>> safe_file_name("C:\\\\Users\\\\me\\\\Notes <draft>.MD")
    'Notes _draft.md'
    >>> safe_file_name(".bashrc.txt")
    'bashrc.txt'
    >>> safe_file_name("...")
    'document'
    """
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = _UNSAFE.sub("_", stem).strip(" ._-")
    ext = _UNSAFE.sub("", ext).lower()
    stem = (stem or "document")[: _MAX_NAME_CHARS - len(ext) - 1]
    return f"{stem}.{ext}" if ext else stem


def free_name(folder: Path, name: str, data: bytes | None) -> tuple[str, bool]:
    """(name to save under, whether that file already holds exactly `data`).

    A different file with the same name is never overwritten: "a.txt" becomes "a-2.txt".
    """
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while (folder / candidate).exists():
        if data is not None and (folder / candidate).is_file() and (folder / candidate).read_bytes() == data:
            return candidate, True
        n += 1
        candidate = f"{stem}-{n}.{ext}" if ext else f"{stem}-{n}"
    return candidate, False


def add_files(paths: list[str | Path], docs: str | Path, settings: LoadingSettings,
              index_dir: str | Path | None = None) -> list[AddedFile]:
    """Copy each file into `docs` under a safe name if indexing can read it.

    PDF, DOCX and HTML files are parsed (in the child process) to check them; with
    `index_dir`, their text goes into its text cache, so indexing doesn't parse them again.
    """
    with DocumentReader(settings, TextCache(index_dir) if index_dir else None) as reader:
        return [_add_file(Path(path), Path(docs), settings, reader) for path in paths]


def _add_file(path: Path, folder: Path, settings: LoadingSettings, reader: DocumentReader) -> AddedFile:
    shown = path.name
    name = safe_file_name(shown)
    if document_kind(name, settings) is None:
        kinds = ", ".join(settings.extensions)
        return AddedFile(shown, None, f"not added: only {kinds} files can be indexed; "
                                      f"save it in one of these formats first")
    try:
        size = path.stat().st_size
    except OSError as exc:
        return AddedFile(shown, None, f"not added: unreadable ({exc.strerror or exc})")
    checked = reader.read(FoundFile(name, path, size))
    if isinstance(checked, SkippedFile):
        return AddedFile(shown, None, f"not added: {checked.reason}")
    data = path.read_bytes()
    target, same = free_name(folder, name, data)
    if same:
        return AddedFile(shown, target, f"already in the folder as {target}")
    _copy_atomic(data, folder / target)
    renamed = f" (renamed from {shown})" if target != shown else ""
    return AddedFile(shown, target, f"added as {target}{renamed}{described(document_details(checked))}")


def remove_file(docs: str | Path, source: str, indexed: set[str] | list[str]) -> Path | None:
    """Move an indexed file into `docs/.removed/`; where it went (None: it was already gone)."""
    folder = Path(docs).resolve()
    if source not in indexed:
        raise DocumentsError(f"{source!r} is not in the index; pick one of the listed documents")
    # The file's own folder is resolved, not the file: a link is moved as a link, never
    # the file it points to (indexing follows links that stay inside the folder).
    path = (folder / source).parent.resolve() / Path(source).name
    if folder not in path.parents:
        raise DocumentsError(f"{source!r} is outside the documents folder {str(folder)!r}")
    if not path.exists() and not path.is_symlink():
        return None
    bin_folder = folder / REMOVED_FOLDER / path.parent.relative_to(folder)  # keeps its place, to restore it
    bin_folder.mkdir(parents=True, exist_ok=True)
    target, _same = free_name(bin_folder, path.name, None)
    shutil.move(str(path), str(bin_folder / target))
    return bin_folder / target


def list_removed(docs: str | Path, settings: LoadingSettings) -> list[str]:
    """The documents remove_file moved aside, as paths inside `.removed/`, sorted."""
    bin_folder = Path(docs) / REMOVED_FOLDER
    if not bin_folder.is_dir():
        return []
    return sorted(p.relative_to(bin_folder).as_posix() for p in bin_folder.rglob("*")
                  if (p.is_file() or p.is_symlink()) and document_kind(p.name, settings))


def restore_file(docs: str | Path, name: str) -> str:
    """Move `.removed/NAME` back to its place in `docs`; the name it has there now.

    An identical file already back in its place is kept and the removed copy dropped; a
    different one is never overwritten: the restored file gets a suffix instead ("-2").
    """
    folder = Path(docs).resolve()
    relative = PurePosixPath(name)
    path = folder / REMOVED_FOLDER / relative
    if relative.is_absolute() or ".." in relative.parts or not (path.is_file() or path.is_symlink()):
        raise DocumentsError(f"{name!r} is not among the removed documents; pick one of the listed ones")
    place = folder / relative.parent
    place.mkdir(parents=True, exist_ok=True)
    target, same = free_name(place, relative.name, None if path.is_symlink() else path.read_bytes())
    if same:
        path.unlink()
    else:
        shutil.move(str(path), str(place / target))
    return (relative.parent / target).as_posix()


def _copy_atomic(data: bytes, target: Path) -> None:
    """Write to a hidden temporary name first, so indexing never reads half a file."""
    tmp = target.with_name(f".{target.name}.uploading")
    tmp.write_bytes(data)
    os.replace(tmp, target)
