"""rag: offline question answering over your own documents, with verified citations.

    from rag import Assistant
    assistant = Assistant.open(docs="seeds", index="index")
    answer = assistant.ask("Who is the Minister of Foreign Affairs of Turkmenistan?", top_k=2)
    answer.text, answer.short_answer, answer.evidence

The seams: `Assistant.open(embedder=..., generator=...)` takes any `Embedder` and
`Generator` (one method each), and `settings=` a `Settings` made of its stage groups.
`evaluate(assistant, load_questions(path))` is the loop behind `rag eval`.
`Assistant.open(collection="notes")` opens a named index with its own documents folder,
and `list_collections()` lists them (collections.py, docs/collections.md).
Heavy libraries (torch, sentence-transformers, faiss, llama_cpp) load only when used.
"""
from .collections import CollectionInfo, list_collections
from .config import (
    ChunkingSettings,
    GenerationSettings,
    GroundingSettings,
    LoadingSettings,
    ModelSettings,
    RetrievalSettings,
    Settings,
)
from .documents import AddedFile, DocumentInfo
from .embedding import Embedder
from .errors import (
    CollectionError,
    ConfigError,
    DocumentsError,
    FilterError,
    IndexCorruptError,
    IndexLockedError,
    IndexStoreError,
    IndexVersionError,
    ModelError,
    NoMatchingDocumentsError,
    QuestionError,
    RagError,
)
from .evaluation import EvalQuestion, EvalResult, evaluate, load_questions
from .filters import DocumentFilter
from .generation import Generator
from .indexing import IndexReport
from .pipeline import AnswerStream, Assistant
from .prompting import Prompt
from .types import Answer, Chunk, Citation, Document, Evidence, Hit

__all__ = [
    "AddedFile",
    "Answer",
    "AnswerStream",
    "Assistant",
    "Chunk",
    "ChunkingSettings",
    "Citation",
    "CollectionError",
    "CollectionInfo",
    "ConfigError",
    "Document",
    "DocumentFilter",
    "DocumentInfo",
    "DocumentsError",
    "Embedder",
    "EvalQuestion",
    "EvalResult",
    "Evidence",
    "FilterError",
    "GenerationSettings",
    "Generator",
    "GroundingSettings",
    "Hit",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexReport",
    "IndexStoreError",
    "IndexVersionError",
    "LoadingSettings",
    "ModelError",
    "ModelSettings",
    "NoMatchingDocumentsError",
    "Prompt",
    "QuestionError",
    "RagError",
    "RetrievalSettings",
    "Settings",
    "evaluate",
    "list_collections",
    "load_questions",
]
