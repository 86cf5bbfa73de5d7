"""Pure: the index manifest's schema and what it says about the saved index.

The manifest describes a saved index: format version, embedding model and dimension,
chunking settings, each source file's sha256 and chunk ids, and the names (and sha256) of
the generation's data files. This module does no I/O: store_files.py reads and writes the
file, store.py holds the index it describes.
"""
from __future__ import annotations

import dataclasses
import json

from .errors import IndexCorruptError, IndexVersionError

# 2: adds the lexical file. A format-1 index is still read: its lexical index is made from
# the stored chunk texts (no re-embedding) and written with the next save.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"


@dataclasses.dataclass
class FileEntry:
    sha256: str
    size: int
    date: str | None
    chunk_ids: list[int]


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
        data = json.loads(text)
        if not isinstance(data, dict):
            raise IndexCorruptError("manifest.json does not hold a JSON object")
        version = data.get("format_version")
        if not isinstance(version, int):
            raise IndexCorruptError("manifest.json has no format_version")
        if version > FORMAT_VERSION:
            raise IndexVersionError(
                f"the index was written by a newer rag (format {version}, this one reads "
                f"{FORMAT_VERSION}); upgrade rag, or rebuild with: rag index DOCS --rebuild"
            )
        data["files"] = {name: FileEntry(**entry) for name, entry in data.get("files", {}).items()}
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

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
