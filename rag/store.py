"""The index on disk: FAISS vectors, chunk metadata (JSON) and a self-describing manifest.

Layout of an index folder:

    manifest.json          format version, embedding model id and dimension, chunking
                           settings, each source file's sha256 and chunk ids, and the
                           names (and sha256) of the three data files below
    vectors-<gen>.faiss    FAISS IndexIDMap2 over IndexFlatIP (cosine on unit vectors)
    chunks-<gen>.json      the chunks: text, source, character and line spans
    lexical-<gen>.npz      the BM25 terms of each chunk (see lexical.py)

Saving writes a new generation of data files, then replaces manifest.json atomically
(temporary file + fsync + rename), then deletes the older generation. A crash at any point
leaves a manifest that names complete files, so the previous index stays loadable.
This module knows nothing of files being indexed or of models; it stores what it is given.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from .errors import IndexCorruptError, IndexLockedError, IndexStoreError, IndexVersionError
from .lexical import LexicalIndex
from .types import Chunk, Hit

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


class VectorStore:
    """Chunks, their unit vectors and their BM25 terms, in memory; `save`/`load` move them
    to and from disk."""

    def __init__(self, manifest: Manifest, chunks: dict[int, Chunk] | None = None, index=None,
                 lexical: LexicalIndex | None = None):
        import faiss  # heavy import kept late: `import rag` stays fast

        self.manifest = manifest
        self.chunks: dict[int, Chunk] = chunks or {}
        self._faiss = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(manifest.dimension))
        self._ann = None  # IVF copy for large indexes (ann.py), rebuilt after any change
        if lexical is None:
            lexical = LexicalIndex()
            for chunk_id, chunk in self.chunks.items():
                lexical.add(chunk_id, chunk.text)
        self.lexical = lexical

    @classmethod
    def empty(cls, embedding_model: str, dimension: int, chunking: dict, docs_folder: str = "") -> "VectorStore":
        return cls(Manifest(embedding_model, dimension, chunking, docs_folder))

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def sources(self) -> list[str]:
        return sorted(self.manifest.files)

    def add_file(self, source: str, entry_sha256: str, size: int, date: str | None,
                 chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Add (or replace) one file's chunks; ids are given here, so callers pass any."""
        self.remove_file(source)
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors for {source}")
        self._ann = None
        first = self.manifest.next_chunk_id
        ids = list(range(first, first + len(chunks)))
        self.manifest.next_chunk_id = first + len(chunks)
        for chunk_id, chunk in zip(ids, chunks):
            self.chunks[chunk_id] = dataclasses.replace(chunk, id=chunk_id)
            self.lexical.add(chunk_id, chunk.text)
        if ids:
            self._faiss.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64)
            )
        self.manifest.files[source] = FileEntry(entry_sha256, size, date, ids)

    def remove_file(self, source: str) -> None:
        entry = self.manifest.files.pop(source, None)
        if entry is None:
            return
        self._ann = None
        for chunk_id in entry.chunk_ids:
            self.chunks.pop(chunk_id, None)
        self.lexical.remove(entry.chunk_ids)
        if entry.chunk_ids:
            self._faiss.remove_ids(np.asarray(entry.chunk_ids, dtype=np.int64))

    def vectors_by_text(self, source: str) -> dict[str, np.ndarray]:
        """The stored vector of each chunk text of one file, to reuse when it changes."""
        entry = self.manifest.files.get(source)
        if entry is None:
            return {}
        return {self.chunks[i].text: self._faiss.reconstruct(int(i)) for i in entry.chunk_ids}

    def search(self, vector: np.ndarray, k: int) -> list[Hit]:
        """The k chunks closest to a unit query vector, best first (score: cosine)."""
        if not self.chunks:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        scores, ids = self.search_index().search(query, min(k, len(self.chunks)))
        return [
            Hit(self.chunks[int(i)], float(s), dense=float(s))
            for s, i in zip(scores[0], ids[0])
            if int(i) in self.chunks
        ]

    def prepare(self) -> None:
        """Build now what searching would otherwise build on first use: the BM25 matrix
        (lexical.py) and, for a large index, the IVF copy (ann.py)."""
        self.search_index()
        self.lexical.prepare()

    def search_index(self):
        """What `search` asks: the flat index, or for large indexes its IVF copy (ann.py),
        built here on first use; call it ahead of the first question to pay that early."""
        from .ann import build_ivf, flat_contents, use_ann

        if not use_ann(len(self.chunks)):
            return self._faiss
        if self._ann is None:
            self._ann = build_ivf(*flat_contents(self._faiss))
        return self._ann

    def search_lexical(self, query: str, k: int) -> list[Hit]:
        """The k chunks with the best BM25 score for the query text, best first."""
        return [Hit(self.chunks[i], s, lexical=s)
                for i, s in self.lexical.search(query, k) if i in self.chunks]

    def cosines(self, vector: np.ndarray, chunk_ids: list[int]) -> np.ndarray:
        """Cosine of a unit query vector with each given chunk (found by any route)."""
        if not chunk_ids:
            return np.zeros(0, dtype=np.float32)
        stored = np.stack([self._faiss.reconstruct(int(i)) for i in chunk_ids])
        return stored @ np.asarray(vector, dtype=np.float32)

    # ---- disk ------------------------------------------------------------------------

    def save(self, folder: str | os.PathLike) -> None:
        """Write a new generation atomically; see the module docstring."""
        import faiss

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        # Never reuse a generation number found on disk: a rebuild (which starts from an
        # empty store) must not overwrite the files the current manifest names.
        gen = max([self.manifest.generation, *_generations_on_disk(folder)]) + 1
        vectors_file, chunks_file = f"vectors-{gen}.faiss", f"chunks-{gen}.json"
        lexical_file = f"lexical-{gen}.npz"

        tmp = folder / (vectors_file + ".tmp")
        faiss.write_index(self._faiss, str(tmp))
        _fsync_and_rename(tmp, folder / vectors_file)
        chunk_rows = [dataclasses.asdict(c) for c in sorted(self.chunks.values(), key=lambda c: c.id)]
        _write_atomic(folder / chunks_file, json.dumps(chunk_rows, ensure_ascii=False).encode())
        _write_atomic(folder / lexical_file, self.lexical.to_bytes())

        manifest = dataclasses.replace(
            self.manifest,
            format_version=FORMAT_VERSION,
            generation=gen,
            vectors_file=vectors_file,
            vectors_sha256=_sha256_file(folder / vectors_file),
            chunks_file=chunks_file,
            chunks_sha256=_sha256_file(folder / chunks_file),
            lexical_file=lexical_file,
            lexical_sha256=_sha256_file(folder / lexical_file),
            updated_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        _write_atomic(folder / MANIFEST, manifest.to_json().encode())
        self.manifest = manifest
        # Only now that the manifest names the new files: remove older generations and
        # anything a crashed save left behind.
        for path in [*_generation_files(folder), *folder.glob("*.tmp")]:
            if path.name not in (vectors_file, chunks_file, lexical_file):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "VectorStore | None":
        """The saved index, or None if the folder holds none yet.

        A writer may switch generations while we read; if the manifest changed under us,
        the read is tried again once before the index is called damaged.
        """
        folder = Path(folder)
        before = _read_bytes(folder / MANIFEST)
        try:
            return cls._load_once(folder)
        except IndexCorruptError:
            if _read_bytes(folder / MANIFEST) == before:
                raise
            return cls._load_once(folder)

    @classmethod
    def _load_once(cls, folder: Path) -> "VectorStore | None":
        import faiss

        if folder.exists() and not folder.is_dir():
            raise IndexCorruptError(_not_a_folder(folder))
        fix = f"rebuild it with: rag index DOCS --index {folder} --rebuild"
        try:
            manifest = Manifest.from_json((folder / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except IndexVersionError:
            raise
        except (OSError, ValueError, TypeError, AttributeError, IndexCorruptError) as exc:
            raise IndexCorruptError(f"{folder / MANIFEST} is unreadable ({exc}); {fix}") from exc
        data_files = [(manifest.vectors_file, manifest.vectors_sha256),
                      (manifest.chunks_file, manifest.chunks_sha256)]
        if manifest.format_version >= 2:  # format 1 had no lexical file; it is made below
            data_files.append((manifest.lexical_file, manifest.lexical_sha256))
        for name, digest in data_files:
            path = folder / name
            if not name or not path.is_file():
                raise IndexCorruptError(f"index file {path} is missing; {fix}")
            if _sha256_file(path) != digest:
                raise IndexCorruptError(f"index file {path} does not match its checksum; {fix}")
        try:
            index = faiss.read_index(str(folder / manifest.vectors_file))
            rows = json.loads((folder / manifest.chunks_file).read_text(encoding="utf-8"))
            chunks = {row["id"]: Chunk(**row) for row in rows}
            lexical = (LexicalIndex.from_bytes((folder / manifest.lexical_file).read_bytes())
                       if manifest.format_version >= 2 else None)
        except (OSError, RuntimeError, ValueError, TypeError, KeyError) as exc:
            raise IndexCorruptError(f"index in {folder} is unreadable ({exc}); {fix}") from exc
        listed = {i for entry in manifest.files.values() for i in entry.chunk_ids}
        if (index.ntotal != len(chunks) or listed != set(chunks) or index.d != manifest.dimension
                or (lexical is not None and len(lexical) != len(chunks))):
            raise IndexCorruptError(
                f"index in {folder} is inconsistent ({index.ntotal} vectors, {len(chunks)} chunks, "
                f"{len(listed)} listed in the manifest); {fix}"
            )
        return cls(manifest, chunks, index, lexical)


def recorded_docs_folder(folder: str | os.PathLike) -> str | None:
    """The documents folder a saved index was built from, or None (no index, or unreadable)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
        return data.get("docs_folder") or None
    except (OSError, ValueError, AttributeError):
        return None


def _generation_files(folder: Path) -> list[Path]:
    return [*folder.glob("vectors-*.faiss"), *folder.glob("chunks-*.json"), *folder.glob("lexical-*.npz")]


def _not_a_folder(folder: Path) -> str:
    return f"index path {folder} is a file, not a folder; pass a folder with --index"


def _generations_on_disk(folder: Path) -> list[int]:
    found = []
    for path in _generation_files(folder):
        number = path.stem.split("-", 1)[1]
        if number.isdigit():
            found.append(int(number))
    return found


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


@contextlib.contextmanager
def write_lock(folder: str | os.PathLike):
    """Hold an exclusive lock on an index folder while writing it; fail fast if taken."""
    import fcntl

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise IndexStoreError(_not_a_folder(folder)) from None
    except OSError as exc:
        raise IndexStoreError(f"can't create the index folder {folder}: {exc.strerror}") from None
    with open(folder / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLockedError(
                f"another rag process is writing the index in {folder}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
    _fsync_and_rename(tmp, path)


def _fsync_and_rename(tmp: Path, path: Path) -> None:
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    with contextlib.suppress(OSError):  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
