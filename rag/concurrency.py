"""What may run at the same time when several people (browser tabs) use one Assistant.

- One completion at a time per process: a llama.cpp model object must not be used by two
  threads at once, and `generation.load_llama` shares one object between every generator
  of the same file, so a single lock covers them all.
- One embedding call at a time per embedder: a Hugging Face fast tokenizer raises
  "Already borrowed" when two threads use it at once. Calls are short (a question, or
  one indexing batch), so a question asked during indexing waits at most one batch.

Index updates don't need a lock here: they build a new store and swap it in (pipeline.py).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

# threading.Lock, not RLock: Gradio may resume a generator on another worker thread,
# and only a plain Lock may be released by a thread other than the one that took it.
_GENERATION_LOCK = threading.Lock()


def one_completion_at_a_time(pieces: Iterator[str]) -> Iterator[str]:
    """The pieces of one completion, produced while holding the process's model lock.

    The lock is taken when the first piece is asked for and released when the completion
    ends or the consumer drops the iterator, so two questions take turns a completion each.
    """
    with _GENERATION_LOCK:
        yield from pieces


class SerialEmbedder:
    """An Embedder that runs one `embed` call at a time; everything else passes through."""

    def __init__(self, embedder):
        self.wrapped = embedder
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]):
        with self._lock:
            return self.wrapped.embed(texts)

    def __getattr__(self, name):
        return getattr(self.wrapped, name)


def serial(embedder):
    """`embedder` wrapped once in SerialEmbedder."""
    return embedder if isinstance(embedder, SerialEmbedder) else SerialEmbedder(embedder)
