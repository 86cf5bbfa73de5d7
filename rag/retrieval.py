"""Question -> ranked Hits: embed the question and look it up in the vector store."""
from __future__ import annotations

from .embedding import Embedder
from .store import VectorStore
from .types import Hit


def retrieve(store: VectorStore, embedder: Embedder, question: str, top_k: int) -> list[Hit]:
    """The `top_k` chunks closest to the question, best first, with cosine scores."""
    vector = embedder.embed([question])[0]
    return store.search(vector, top_k)
