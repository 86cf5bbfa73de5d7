"""The Assistant's document management: list, add, remove, restore and re-index its
folder, and example questions about what it holds.

Kept apart from the question path (pipeline.py). Index updates build a new store and
swap it in with one assignment, so a question asked meanwhile sees the old index whole
or the new one whole; one update at a time runs per process.
"""
from __future__ import annotations

from pathlib import Path

from .documents import (
    AddedFile,
    DocumentInfo,
    add_files,
    list_documents,
    list_removed,
    remove_file,
    restore_file,
)
from .errors import DocumentsError
from .examples import MAX_EXAMPLES, example_questions, load_seed_rows
from .indexing import IndexReport, Log, sync_index
from .loading import read_source_text
from .progress import Progress, no_progress


class DocumentAdmin:
    """Mixed into Assistant; needs .store, .embedder, .settings, .docs, .index_dir,
    .report and ._index_lock."""

    def reindex(self, log: Log = lambda _: None, rebuild: bool = False,
                progress: Progress = no_progress) -> IndexReport:
        with self._index_lock:
            return self._sync(log, rebuild, progress)

    def _sync(self, log: Log, rebuild: bool = False, progress: Progress = no_progress) -> IndexReport:
        self.store, self.report = sync_index(self.docs, self.index_dir, self.embedder,
                                             self.settings, log=log, rebuild=rebuild, progress=progress)
        return self.report

    def documents(self) -> list[DocumentInfo]:
        """The indexed files: name, date, number of passages, size."""
        return list_documents(self.store.manifest, self.docs)

    def add_documents(self, paths: list[str | Path], log: Log = lambda _: None,
                      progress: Progress = no_progress) -> tuple[list[AddedFile], IndexReport | None]:
        """Copy files into the documents folder under safe names, then index them.

        Returns one AddedFile per path (added, already there, or refused with the reason)
        and the index report (None when no file was added). `progress` hears of indexing.
        """
        with self._index_lock:
            added = add_files(paths, self.docs, self.settings.loading, self.index_dir)
            report = self._sync(log, progress=progress) if any(a.saved_as for a in added) else None
        return added, report

    def remove_document(self, source: str, log: Log = lambda _: None) -> IndexReport:
        """Take one file out of the index; the file moves to the folder's `.removed/`."""
        with self._index_lock:
            if self.store.sources == [source]:
                raise DocumentsError(f"{source!r} is the only document; add another before removing it")
            remove_file(self.docs, source, self.store.sources)
            return self._sync(log)

    def removed_documents(self) -> list[str]:
        """The documents taken out with remove_document, which restore_document can bring back."""
        return list_removed(self.docs, self.settings.loading)

    def restore_document(self, name: str, log: Log = lambda _: None) -> IndexReport:
        """Move a removed document back into the folder where it was, and index it again."""
        with self._index_lock:
            restore_file(self.docs, name)
            return self._sync(log)

    def example_questions(self, limit: int = MAX_EXAMPLES) -> list[str]:
        """Questions to try, about the documents in the index (examples.py): the seed set's
        when the seeds are indexed, else ones the documents' openings suggest whose best
        passage is in their own document. Possibly none. Worked out once per index state:
        the page asks on every load and every documents change."""
        store = self.store
        cached = getattr(self, "_examples", None)
        if cached is not None and cached[0] is store and cached[1] == limit:
            return list(cached[2])
        openings: dict[str, list] = {}
        for chunk in store.chunks.values():
            openings.setdefault(chunk.source, []).append(chunk)
        texts = {source: "\n".join(c.text for c in sorted(chunks, key=lambda c: c.start_char)[:2])
                 for source, chunks in openings.items()}

        def found_in_its_own_document(question: str, source: str) -> bool:
            hits = self.search(question, k=1)
            return bool(hits) and hits[0].chunk.source == source

        questions = example_questions(texts, load_seed_rows(), limit, keep=found_in_its_own_document)
        self._examples = (store, limit, questions)
        return list(questions)

    def source_text(self, source: str) -> str | None:
        """The current text of a document in the folder (None if it is gone or unreadable)."""
        return read_source_text(self.docs, source, self.index_dir)
