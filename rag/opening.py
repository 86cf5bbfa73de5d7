"""What opening an Assistant and asking it need checked: which folder an index belongs to,
whether a saved index fits the models, whether a question can be asked. No models here.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from .config import Settings
from .errors import DocumentsError, IndexStoreError, QuestionError
from .store import VectorStore, recorded_docs_folder


def documents_folder(docs: str | Path | None, index: str | Path, update: bool = True) -> tuple[Path, str]:
    """Which folder an index belongs to, and why: the one rule the CLI and the app share.

    `docs` if given; else the folder recorded in the index's manifest when it was built;
    else, for a new index, `seeds`. A recorded folder that is gone is an error, never a
    silent switch to another folder (which would drop the index's documents).
    """
    recorded = recorded_docs_folder(index)
    if docs is not None:
        if not recorded or Path(recorded) == Path(docs).resolve():
            return Path(docs), "as given"
        leave = ", so its files that are not in this folder leave it" if update else ""
        return Path(docs), f"as given; the index was built from {recorded}{leave}"
    if recorded is None:
        return Path("seeds"), f"no index in {str(index)!r} yet, so the bundled example documents"
    if not Path(recorded).is_dir():
        raise DocumentsError(
            f"the index in {str(index)!r} was built from {recorded!r}, which no longer exists; "
            f"pass the folder where the documents are now (--docs DIR, or docs=...)")
    return Path(recorded), f"the folder the index in {str(index)!r} was built from"


def validate_question(question, max_chars: int) -> str:
    """The question, stripped; a QuestionError naming the problem if it can't be asked."""
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    question = question.strip()
    if not question:
        raise QuestionError("the question is empty; ask something about your documents")
    if len(question) > max_chars:
        raise QuestionError(
            f"the question is {len(question)} characters long; keep it under {max_chars} "
            f"(put long material into a document in the folder instead)"
        )
    return question


def load_existing(index: str | Path, embedder, settings: Settings) -> VectorStore:
    store = VectorStore.load(index)
    if store is None:
        raise IndexStoreError(f"no index in {str(index)!r} yet; build it with: rag index DOCS --index {index}")
    mismatch = store.manifest.settings_mismatch(
        embedder.model_id, embedder.dimension, dataclasses.asdict(settings.chunking))
    if mismatch:
        raise IndexStoreError(f"the index in {str(index)!r} can't be used as it is: {mismatch}; "
                              f"update it with: rag index DOCS --index {index}")
    return store
