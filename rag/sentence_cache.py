"""Sentence text -> embedding, kept per Assistant and safe to share between threads.

Questions about the same documents meet the same sentences again, and a sentence's vector
never changes (it is keyed by its text), so each sentence is embedded once. Concurrent
questions read and fill the cache under one lock; the embedding itself runs outside it
(two threads may embed the same new sentence once each, which is harmless).

Which sentences are new depends on the questions asked before, so a sentence's vector
must not depend on the texts embedded beside it: with an embedder that does not promise
that (`batch_invariant`; torch pads a batch and rounds differently, int8 quantises each
run with one scale), each new sentence is embedded on its own. Otherwise the same
question could rank its evidence differently after other questions, or under load.
"""
from __future__ import annotations

import threading

import numpy as np

LIMIT = 50_000  # ~75 MB of 384-dim vectors; past it the cache starts again


class SentenceVectors:
    def __init__(self, embedder, limit: int = LIMIT):
        self._embedder = embedder
        self._limit = limit
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def cosines(self, vector: np.ndarray, sentences: list[str]) -> list[float]:
        """The cosine of `vector` (a normalised question embedding) with each sentence."""
        with self._lock:
            known = {s: self._vectors[s] for s in sentences if s in self._vectors}
        new = [s for s in dict.fromkeys(sentences) if s not in known]
        if new:
            fresh = dict(zip(new, self._embed(new)))
            known.update(fresh)
            with self._lock:
                if len(self._vectors) + len(fresh) > self._limit:
                    self._vectors.clear()
                self._vectors.update(fresh)
        return [float(known[s] @ vector) for s in sentences]

    def _embed(self, sentences: list[str]) -> list[np.ndarray]:
        if getattr(self._embedder, "batch_invariant", False):
            return list(self._embedder.embed(sentences))
        return [self._embedder.embed([s])[0] for s in sentences]
