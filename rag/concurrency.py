"""What may run at the same time when several people (browser tabs) use one Assistant.

- One completion at a time per process: a llama.cpp model object must not be used by two
  threads at once, and `generation.load_llama` shares one object between every generator
  of the same file, so a single lock covers them all. A generator that says it
  `serves_concurrently` (a model server, remote_generation.py, which batches or queues
  requests itself) skips that lock: its completions run side by side.
- One embedding call at a time per embedder: a Hugging Face fast tokenizer raises
  "Already borrowed" when two threads use it at once. Calls are short (a question, or
  one indexing batch), so a question asked during indexing waits at most one batch.

Index updates don't need a lock here: they build a new store and swap it in (pipeline.py).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .generation import Generator
    from .prompting import Prompt

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


def completion_pieces(generator: "Generator", prompt: "Prompt") -> Iterator[str]:
    """The generator's completion of `prompt`, one completion at a time in this process,
    unless the generator has `serves_concurrently` set (then its server takes turns, or not)."""
    pieces = generator.generate(prompt)
    return pieces if getattr(generator, "serves_concurrently", False) else one_completion_at_a_time(pieces)


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


def under_model_lock(generator, call):
    """`call()`'s result, computed holding the process's model lock unless the generator
    serves concurrent requests itself: for model calls that are not completions (span
    log-probabilities, readers/span_ranking.py), which use the same llama.cpp context."""
    if getattr(generator, "serves_concurrently", False):
        return call()
    with _GENERATION_LOCK:
        return call()

