"""rag: offline question answering over your own documents, with verified citations.

    from rag import Assistant
    assistant = Assistant.open(docs="seeds", index="index")
    answer = assistant.ask("Who is the Minister of Foreign Affairs of Turkmenistan?")
    answer.text, answer.abstained, answer.citations

Heavy libraries (torch, sentence-transformers, faiss, llama_cpp) load only when used.
"""
from .config import Settings
from .documents import AddedFile, DocumentInfo
from .errors import (
    ConfigError,
    DocumentsError,
    IndexCorruptError,
    IndexLockedError,
    IndexStoreError,
    IndexVersionError,
    ModelError,
    QuestionError,
    RagError,
)
from .indexing import IndexReport
from .pipeline import AnswerStream, Assistant
from .types import Answer, Chunk, Citation, Document, Hit

__all__ = [
    "AddedFile",
    "Answer",
    "AnswerStream",
    "Assistant",
    "Chunk",
    "Citation",
    "ConfigError",
    "Document",
    "DocumentInfo",
    "DocumentsError",
    "Hit",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexReport",
    "IndexStoreError",
    "IndexVersionError",
    "ModelError",
    "QuestionError",
    "RagError",
    "Settings",
]
