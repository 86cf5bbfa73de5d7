"""Bring an index in line with a documents folder, embedding only what changed.

New and changed files (by sha256) are chunked; chunks whose text a changed file already
had keep their vectors, and only new chunk texts are embedded; unchanged files are left as
they are; files that disappeared, or can no longer be read, leave the index. A manifest
whose embedding model or chunking settings differ from the current ones triggers a clean
rebuild. Progress is saved every `checkpoint_seconds`, so an interrupted run keeps most of
its work, and every save is atomic (see store.py).
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunking import chunk_document
from .config import Settings
from .embedding import Embedder
from .errors import DocumentsError
from .loading import DocumentReader, SkippedFile, document_kind, find_files
from .progress import EMBEDDING, READING, IndexProgress, Progress, no_progress
from .store import VectorStore, write_lock
from .text_cache import TextCache
from .types import Document

Log = Callable[[str], None]


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0  # chunks of changed files whose text, and so vector, was kept
    chunks_total: int = 0
    files_total: int = 0
    rebuilt: str | None = None  # why the whole index was rebuilt, if it was
    seconds: dict[str, float] = field(default_factory=dict)
    # what was read from each added or updated file: kind, pages, empty_pages, chars
    details: dict[str, dict] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["skipped"] = [{"source": s.source, "reason": s.reason} for s in self.skipped]
        del data["details"]
        data["files_seen"] = len(self.added) + len(self.updated) + len(self.unchanged) + len(self.skipped)
        data["files"] = self.files()
        return data

    def files(self) -> list[dict]:
        """Every file seen, by name: its status, and what was read from it (or why not)."""
        rows = [{"source": name, "status": status, **self.details.get(name, {})}
                for status, names in (("added", self.added), ("updated", self.updated),
                                      ("removed", self.removed), ("unchanged", self.unchanged))
                for name in names]
        rows += [{"source": s.source, "status": "skipped", "reason": s.reason} for s in self.skipped]
        return sorted(rows, key=lambda row: row["source"])

    def lines(self) -> list[str]:
        out = []
        if self.rebuilt:
            out.append(f"rebuilt the index: {self.rebuilt}")
        for label, names in (("added", self.added), ("updated", self.updated), ("removed", self.removed)):
            out.extend(f"{label:9} {name}{described(self.details.get(name))}" for name in names)
        out.extend(f"skipped   {s.source}: {s.reason}" for s in self.skipped)
        t = self.seconds
        out.append(
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; "
            f"{self.chunks_embedded} chunks embedded ({self.chunks_reused} reused), "
            f"{self.chunks_total} in the index "
            f"from {self.files_total} files"
        )
        out.append(
            f"time: scan {t.get('scan', 0):.2f}s, embed {t.get('embed', 0):.2f}s, "
            f"save {t.get('save', 0):.2f}s, total {t.get('total', 0):.2f}s"
        )
        return out


def sync_index(docs: str | Path, index_dir: str | Path, embedder: Embedder, settings: Settings,
               log: Log = lambda _: None, rebuild: bool = False,
               checkpoint_seconds: float = 60.0, progress: Progress = no_progress,
               ) -> tuple[VectorStore, IndexReport]:
    """Update (or build) the index in `index_dir` for the files in `docs`; `progress` hears
    of each file read and each group embedded (progress.py)."""
    started = time.perf_counter()
    report = IndexReport()
    found = find_files(docs, settings.loading)
    if not any(document_kind(f.path.name, settings.loading) for f in found):
        kinds = ", ".join(settings.loading.extensions)
        raise DocumentsError(
            f"documents folder {str(docs)!r} holds no documents rag can read ({kinds}); "
            f"add some, or point at another folder"
            + (f" (skipped: {'; '.join(f'{f.source}: {f.skip}' for f in found[:3])})" if found else ""))
    chunking = dataclasses.asdict(settings.chunking)
    with write_lock(index_dir), DocumentReader(settings.loading, TextCache(index_dir)) as reader:
        # A rebuild never reads the saved index, so it works whatever state that is in
        # (damaged, or of a newer format); its files go when the new generation is saved.
        store = None if rebuild else VectorStore.load(index_dir)
        if rebuild:
            report.rebuilt = "asked for with --rebuild"
        elif store is not None:
            report.rebuilt = store.manifest.settings_mismatch(embedder.model_id, embedder.dimension, chunking)
            if report.rebuilt:
                log(f"rebuilding the index: {report.rebuilt}")
        if store is None or report.rebuilt:
            store = VectorStore.empty(embedder.model_id, embedder.dimension, chunking)
        store.manifest.docs_folder = str(Path(docs).resolve())

        pending: list[Document] = []
        reusable: dict[str, object] = {}  # chunk text -> vector, from the old versions of changed files
        present = set()
        for number, item in enumerate(found, 1):
            present.add(item.source)
            entry = store.manifest.files.get(item.source)
            doc = _read(reader, item, number, len(found), progress)
            if isinstance(doc, SkippedFile):
                report.skipped.append(doc)  # listed once, in the report
                if entry is not None:
                    store.remove_file(item.source)
                    report.removed.append(item.source)
                continue
            if entry is not None and entry.sha256 == doc.sha256:
                report.unchanged.append(doc.source)
                continue
            (report.updated if entry is not None else report.added).append(doc.source)
            report.details[doc.source] = document_details(doc)
            if entry is not None:
                reusable.update(store.vectors_by_text(doc.source))
            pending.append(doc)
        for source in sorted(set(store.manifest.files) - present):
            store.remove_file(source)
            report.removed.append(source)
        report.seconds["scan"] = time.perf_counter() - started

        embed_seconds = save_seconds = 0.0
        last_save = time.perf_counter()
        files_done = 0
        for batch in _batches(pending, settings):
            t0 = time.perf_counter()
            chunk_lists = [chunk_document(doc, settings.chunking) for doc in batch]
            texts = [c.text for chunks in chunk_lists for c in chunks]
            new_texts = list(dict.fromkeys(t for t in texts if t not in reusable))
            if new_texts:
                reusable.update(zip(new_texts, embedder.embed(new_texts)))
            for doc, chunks in zip(batch, chunk_lists):
                vectors = np.stack([reusable[c.text] for c in chunks]) if chunks else \
                    np.zeros((0, embedder.dimension), dtype=np.float32)
                store.add_file(doc.source, doc.sha256, len(doc.text), doc.date, chunks, vectors, layout=doc)
            report.chunks_embedded += len(new_texts)
            report.chunks_reused += len(texts) - len(new_texts)
            files_done += len(batch)
            embed_seconds += time.perf_counter() - t0
            progress(IndexProgress(EMBEDDING, files_done, len(pending), report.chunks_embedded))
            if time.perf_counter() - last_save > checkpoint_seconds:
                t0 = time.perf_counter()
                store.save(index_dir)
                save_seconds += time.perf_counter() - t0
                last_save = time.perf_counter()
        if report.changed or store.manifest.generation == 0:
            t0 = time.perf_counter()
            store.save(index_dir)
            save_seconds += time.perf_counter() - t0
        TextCache(index_dir).prune({entry.sha256 for entry in store.manifest.files.values()})
    report.seconds.update(embed=embed_seconds, save=save_seconds, total=time.perf_counter() - started)
    report.chunks_total = len(store)
    report.files_total = len(store.manifest.files)
    return store, report


def _read(reader: DocumentReader, item, number: int, total: int, progress: Progress):
    doc = reader.read(item)
    progress(IndexProgress(READING, number, total, source=item.source))
    return doc


def document_details(doc: Document) -> dict:
    """What the report says about a file read: its kind, pages, empty pages and characters."""
    return {"kind": doc.kind, "pages": len(doc.pages) or None, "empty_pages": list(doc.empty_pages),
            "chars": len(doc.text) - doc.body_start}


def described(details: dict | None) -> str:
    """
    >>> described({"kind": "pdf", "pages": 3, "empty_pages": [2], "chars": 4210})
    ' (pdf, 3 pages, 4,210 characters; no text on page 2)'
    >>> described({"kind": "text", "pages": None, "empty_pages": [], "chars": 80})
    ''
    """
    if not details or details["kind"] == "text":
        return ""
    pages = f", {details['pages']} pages" if details["pages"] else ""
    empty = details["empty_pages"]
    flagged = f"; no text on page{'s' if len(empty) > 1 else ''} {', '.join(map(str, empty))}" if empty else ""
    return f" ({details['kind']}{pages}, {details['chars']:,} characters{flagged})"


# Words of documents per embedding call: ~1,000 chunks. sentence-transformers sorts each
# call's texts by length before batching them, so a large call pads far less than many
# small ones (see docs/performance.md); progress is still saved between calls.
EMBED_GROUP_WORDS = 1024 * 120


def _batches(docs: list[Document], settings: Settings, target_words: int | None = None):
    """Group documents so each embedding call gets many chunks to sort by length."""
    target_words = target_words or EMBED_GROUP_WORDS
    batch, words = [], 0
    for doc in docs:
        batch.append(doc)
        words += len(doc.text.split())
        if words >= target_words:
            yield batch
            batch, words = [], 0
    if batch:
        yield batch
