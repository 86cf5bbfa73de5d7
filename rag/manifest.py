"""Pure: the index manifest's schema, and the checks that a manifest read from disk obeys it.

The manifest describes a saved index: format version, embedding model and dimension,
chunking settings, each source file's sha256 and chunk ids, and the names (and sha256) of
the generation's data files. `Manifest.from_json` turns any text that is not a well-formed
manifest into an IndexCorruptError naming what is wrong (or an IndexVersionError for a
newer format), never a TypeError later on. This module does no I/O: store_files.py reads
and writes the file, store.py holds the index it describes.
"""
from __future__ import annotations

import bisect
import dataclasses
import json
import re

from .errors import IndexCorruptError, IndexVersionError

# 2: adds the lexical file. A format-1 index is still read: its lexical index is made from
# the stored chunk texts (no re-embedding) and written with the next save.
# 3: adds each file's kind, pages, empty pages and sections (PDF, DOCX, HTML; their text
# is in texts/, see text_cache.py). Formats 1 and 2 are read: their files are all text.
FORMAT_VERSION = 3
MANIFEST = "manifest.json"

# The data files of generation N: vectors-N.faiss, chunks-N.json, lexical-N.npz.
DATA_FILE = re.compile(r"(vectors|chunks|lexical)-(\d+)\.(faiss|json|npz)")
DATA_KINDS = {"vectors": "faiss", "chunks": "json", "lexical": "npz"}


def data_file_name(kind: str, generation: int) -> str:
    """
    >>> data_file_name("lexical", 3)
    'lexical-3.npz'
    """
    return f"{kind}-{generation}.{DATA_KINDS[kind]}"


def data_file_generation(name: str) -> int | None:
    """The generation a data file belongs to, or None if `name` is not a data file.

    >>> data_file_generation("vectors-12.faiss"), data_file_generation("vectors-12.faiss.tmp")
    (12, None)
    >>> data_file_generation("chunks-2.npz") is None
    True
    """
    match = DATA_FILE.fullmatch(name)
    if not match or DATA_KINDS[match.group(1)] != match.group(3):
        return None
    return int(match.group(2))


@dataclasses.dataclass
class FileEntry:
    sha256: str
    size: int  # characters of text indexed
    date: str | None
    chunk_ids: list[int]
    kind: str = "text"  # or "pdf", "docx", "html"
    pages: list[int] = dataclasses.field(default_factory=list)  # first line of each page
    empty_pages: list[int] = dataclasses.field(default_factory=list)  # 1-based, no text
    sections: list[list] = dataclasses.field(default_factory=list)  # [first line, heading path]

    def place(self, line: int) -> tuple[int | None, str | None]:
        """(page, heading path) of a 1-based line of the file's text; None where unknown.

        >>> FileEntry("x", 9, None, [], "pdf", [1, 5, 9], [], []).place(6)
        (2, None)
        >>> FileEntry("x", 9, None, [], "docx", [], [], [[2, "A"], [7, "A > B"]]).place(8)
        (None, 'A > B')
        """
        page = bisect.bisect_right(self.pages, line) if self.pages else None
        at = bisect.bisect_right([first for first, _ in self.sections], line)
        return page, self.sections[at - 1][1] if at else None


@dataclasses.dataclass
class Manifest:
    embedding_model: str
    dimension: int
    chunking: dict
    docs_folder: str = ""
    files: dict[str, FileEntry] = dataclasses.field(default_factory=dict)
    generation: int = 0
    next_chunk_id: int = 0
    format_version: int = FORMAT_VERSION
    vectors_file: str = ""
    vectors_sha256: str = ""
    chunks_file: str = ""
    chunks_sha256: str = ""
    lexical_file: str = ""
    lexical_sha256: str = ""
    updated_at: str = ""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        """The manifest in `text`; IndexCorruptError names the first thing that is wrong.

        >>> Manifest.from_json('{"format_version": 2, "embedding_model": "m", "dimension": 0,'
        ...                    ' "chunking": {}}')
        Traceback (most recent call last):
        rag.errors.IndexCorruptError: manifest.json: dimension is 0, not a whole number above 0
        """
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise IndexCorruptError(f"{MANIFEST} is not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise IndexCorruptError(f"{MANIFEST} does not hold a JSON object")
        version = data.get("format_version")
        if not _is_int(version):
            raise IndexCorruptError(f"{MANIFEST} has no format_version")
        if version > FORMAT_VERSION:
            raise IndexVersionError(
                f"the index was written by a newer rag (format {version}, this one reads "
                f"{FORMAT_VERSION}); upgrade rag, or rebuild with: rag index DOCS --rebuild"
            )
        for name in ("embedding_model", "dimension", "chunking"):
            if name not in data:
                raise IndexCorruptError(f"{MANIFEST} has no {name}")
        files = data.get("files", {})
        if not isinstance(files, dict):
            raise IndexCorruptError(f"{MANIFEST}: files is not an object")
        data["files"] = {source: _file_entry(source, entry) for source, entry in files.items()}
        known = {f.name for f in dataclasses.fields(cls)}
        manifest = cls(**{k: v for k, v in data.items() if k in known})
        _check_fields(manifest)
        return manifest

    def data_files(self) -> list[tuple[str, str]]:
        """(name, sha256) of each data file this manifest needs; format 1 had no lexical file."""
        files = [(self.vectors_file, self.vectors_sha256), (self.chunks_file, self.chunks_sha256)]
        if self.format_version >= 2:
            files.append((self.lexical_file, self.lexical_sha256))
        return files

    def settings_mismatch(self, embedding_model: str, dimension: int, chunking: dict) -> str | None:
        """Why an index built with other settings must be rebuilt, or None if it matches."""
        if (self.embedding_model, self.dimension) != (embedding_model, dimension):
            return (
                f"embedding model changed from {self.embedding_model} ({self.dimension} dims) "
                f"to {embedding_model} ({dimension} dims)"
            )
        if self.chunking != chunking:
            return f"chunking settings changed from {self.chunking} to {chunking}"
        return None


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _file_entry(source, entry) -> FileEntry:
    where = f"{MANIFEST}: files[{source!r}]"
    if not isinstance(entry, dict):
        raise IndexCorruptError(f"{where} is not an object")
    missing = {"sha256", "size", "date", "chunk_ids"} - set(entry)
    if missing:
        raise IndexCorruptError(f"{where} has no {', '.join(sorted(missing))}")
    ids = entry["chunk_ids"]
    if not isinstance(ids, list) or not all(_is_int(i) and i >= 0 for i in ids):
        raise IndexCorruptError(f"{where}.chunk_ids is {ids!r:.40}, not a list of whole numbers")
    if not isinstance(entry["sha256"], str) or not _is_int(entry["size"]):
        raise IndexCorruptError(f"{where} has a sha256 or size of the wrong type")
    if entry["date"] is not None and not isinstance(entry["date"], str):
        raise IndexCorruptError(f"{where}.date is {entry['date']!r:.40}, not text")
    kind, pages = entry.get("kind", "text"), entry.get("pages", [])
    empty, sections = entry.get("empty_pages", []), entry.get("sections", [])
    if not isinstance(kind, str) or not all(isinstance(v, list) and all(_is_int(i) for i in v)
                                            for v in (pages, empty)):
        raise IndexCorruptError(f"{where} has a kind, pages or empty_pages of the wrong type")
    if not isinstance(sections, list) or not all(
            isinstance(s, list) and len(s) == 2 and _is_int(s[0]) and isinstance(s[1], str) for s in sections):
        raise IndexCorruptError(f"{where}.sections is not a list of [line, heading] pairs")
    return FileEntry(entry["sha256"], entry["size"], entry["date"], ids, kind, pages, empty, sections)


def _check_fields(m: Manifest) -> None:
    def bad(name: str, wanted: str):
        raise IndexCorruptError(f"{MANIFEST}: {name} is {getattr(m, name)!r:.60}, not {wanted}")

    if not isinstance(m.embedding_model, str):
        bad("embedding_model", "text")
    if not _is_int(m.dimension) or m.dimension < 1:
        bad("dimension", "a whole number above 0")
    if not isinstance(m.chunking, dict):
        bad("chunking", "an object")
    for name in ("generation", "next_chunk_id"):
        if not _is_int(getattr(m, name)) or getattr(m, name) < 0:
            bad(name, "a whole number")
    for name in ("docs_folder", "updated_at", "vectors_sha256", "chunks_sha256", "lexical_sha256"):
        if not isinstance(getattr(m, name), str):
            bad(name, "text")
    for kind in DATA_KINDS:
        name = getattr(m, f"{kind}_file")
        if not isinstance(name, str) or (name and not name.startswith(kind + "-")) or (
                name and data_file_generation(name) is None):
            bad(f"{kind}_file", f"a file name like {data_file_name(kind, 1)}")
