"""The index in memory: chunks, their unit vectors (FAISS) and their BM25 terms.

`VectorStore` adds, replaces and removes a file's chunks, and searches them; `save` and
`load` move it to and from an index folder through store_files.py (the generations on
disk, atomic writes, the lock), whose manifest is described in manifest.py. This module
knows nothing of files being indexed or of models; it stores what it is given.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np

from .errors import IndexCorruptError
from .lexical import LexicalIndex
from .manifest import FORMAT_VERSION, MANIFEST, FileEntry, Manifest
from .store_files import (
    read_manifest,
    rebuild_hint,
    recorded_docs_folder,
    verified_data_files,
    write_generation,
    write_lock,
)
from .types import Chunk, Document, Hit

# Imported from here by the rest of the package and by tests: the store's public names.
__all__ = ["FORMAT_VERSION", "MANIFEST", "FileEntry", "Manifest", "VectorStore",
           "recorded_docs_folder", "write_lock"]


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
                 chunks: list[Chunk], vectors: np.ndarray, layout: Document | None = None) -> None:
        """Add (or replace) one file's chunks; ids are given here, so callers pass any."""
        if not _is_utf8(source):  # loading.py skips such names; the manifest is UTF-8 JSON
            raise ValueError(f"source name {source!r} is not valid UTF-8")
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
        entry = FileEntry(entry_sha256, size, date, ids)
        if layout is not None:  # where its pages and headings start (PDF, DOCX, HTML)
            entry.kind, entry.pages, entry.empty_pages = layout.kind, list(layout.pages), list(layout.empty_pages)
            entry.sections = [[line, path] for line, path in layout.sections]
        self.manifest.files[source] = entry

    def place(self, source: str, line: int) -> tuple[int | None, str | None]:
        """(page, heading path) of a line of an indexed file; (None, None) where unknown."""
        entry = self.manifest.files.get(source)
        return entry.place(line) if entry is not None else (None, None)

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

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[Hit]:
        """The k chunks closest to a unit query vector, best first (score: cosine).

        `allowed` (chunk ids) limits the search to those chunks, inside FAISS: k of them
        come back when there are k, not the best k overall cut down to the allowed ones.
        """
        if not self.chunks:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        if allowed is None:
            scores, ids = self.search_index().search(query, min(k, len(self.chunks)))
        else:
            scores, ids = self._search_allowed(query, min(k, len(allowed)), allowed)
        return [
            Hit(self.chunks[int(i)], float(s), dense=float(s))
            for s, i in zip(scores[0], ids[0])
            if int(i) in self.chunks
        ]

    def _search_allowed(self, query: np.ndarray, k: int, allowed: np.ndarray):
        import faiss

        if k < 1:
            return np.zeros((1, 0), np.float32), np.zeros((1, 0), np.int64)
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        index = self.search_index()
        if index is not self._faiss:  # the IVF copy: only its nprobe nearest lists are scanned
            found = index.search(query, k, params=faiss.SearchParametersIVF(sel=selector, nprobe=index.nprobe))
            if (found[1] >= 0).sum() >= k:
                return found
            # those lists held fewer than k allowed chunks (a narrow filter): search exactly
        return self._faiss.search(query, k, params=faiss.SearchParameters(sel=selector))

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

    def search_lexical(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[Hit]:
        """The k chunks with the best BM25 score for the query text, best first; only
        among `allowed` (chunk ids) when given."""
        return [Hit(self.chunks[i], s, lexical=s)
                for i, s in self.lexical.search(query, k, allowed) if i in self.chunks]

    def cosines(self, vector: np.ndarray, chunk_ids: list[int]) -> np.ndarray:
        """Cosine of a unit query vector with each given chunk (found by any route)."""
        if not chunk_ids:
            return np.zeros(0, dtype=np.float32)
        stored = np.stack([self._faiss.reconstruct(int(i)) for i in chunk_ids])
        return stored @ np.asarray(vector, dtype=np.float32)

    # ---- disk ------------------------------------------------------------------------

    def save(self, folder: str | os.PathLike) -> None:
        """Write a new generation atomically (see store_files.py); IndexStoreError if the
        disk refuses, and then the previous generation is still the saved one."""
        import faiss

        # Everything is serialised before the first file is written, so nothing is left
        # half-saved by data that can't be.
        chunk_rows = [dataclasses.asdict(c) for c in sorted(self.chunks.values(), key=lambda c: c.id)]
        chunks_data = json.dumps(chunk_rows, ensure_ascii=False).encode()
        self.manifest = write_generation(
            Path(folder), self.manifest, lambda path: faiss.write_index(self._faiss, path),
            chunks_data, self.lexical.to_bytes())

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

        manifest = read_manifest(folder)  # None: no index yet; IndexStoreError: damaged
        if manifest is None:
            return None
        paths = verified_data_files(folder, manifest)
        try:
            index = faiss.read_index(str(paths["vectors"]))
            rows = json.loads(paths["chunks"].read_text(encoding="utf-8"))
            chunks = {chunk.id: chunk for chunk in map(_chunk_from_row, rows)}
            lexical = LexicalIndex.from_bytes(paths["lexical"].read_bytes()) if "lexical" in paths else None
            problem = _inconsistency(manifest, index, chunks, lexical)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 -- damaged files fail in any library's own way
            raise IndexCorruptError(f"index in {folder} is unreadable ({type(exc).__name__}: {exc}); "
                                    f"{rebuild_hint(folder)}") from exc
        if problem:
            raise IndexCorruptError(f"index in {folder} is inconsistent ({problem}); {rebuild_hint(folder)}")
        return cls(manifest, chunks, index, lexical)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _chunk_from_row(row) -> Chunk:
    """One saved chunk; a TypeError if the row is not one (a damaged chunks file)."""
    chunk = Chunk(**row)
    texts = (chunk.source, chunk.text)
    numbers = (chunk.id, chunk.start_char, chunk.end_char, chunk.start_line, chunk.end_line)
    if not all(isinstance(t, str) for t in texts) or not all(isinstance(n, int) for n in numbers) \
            or not isinstance(chunk.date, (str, type(None))):
        raise TypeError(f"chunk row {str(row)[:80]} has fields of the wrong type")
    return chunk


def _inconsistency(manifest: Manifest, index, chunks: dict[int, Chunk], lexical) -> str | None:
    """What disagrees between the manifest and the files it names, or None."""
    import faiss

    listed = {i for entry in manifest.files.values() for i in entry.chunk_ids}
    if not isinstance(index, faiss.IndexIDMap2) or index.d != manifest.dimension:
        return f"the vectors file is not a {manifest.dimension}-dimension id-mapped FAISS index"
    stored = set(faiss.vector_to_array(index.id_map).tolist())
    if index.ntotal != len(chunks) or listed != set(chunks) or stored != listed:
        return f"{index.ntotal} vectors, {len(chunks)} chunks, {len(listed)} listed in the manifest"
    if lexical is not None and (len(lexical) != len(chunks) or not all(i in lexical for i in chunks)):
        return f"{len(lexical)} chunks in the lexical index, {len(chunks)} in the chunks file"
    # Each chunk listed once, under its own file: updates remove a file's chunks by these ids.
    if sum(len(entry.chunk_ids) for entry in manifest.files.values()) != len(listed):
        return "the manifest lists a chunk under more than one file"
    for source, entry in manifest.files.items():
        if any(chunks[i].source != source for i in entry.chunk_ids):
            return f"the manifest lists chunks of another file under {source}"
    return None
