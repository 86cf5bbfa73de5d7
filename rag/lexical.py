"""The lexical index: BM25 (the `bm25s` library) over the same chunks as the vector index.

Dense retrieval misses rare exact words (names, numbers, codes) that BM25 catches, and BM25
misses paraphrases that embeddings catch; retrieval.py fuses the two rankings.

Each chunk's text is turned into terms once, when it is added (`terms`: lowercased words,
English stop words dropped, Snowball-stemmed). The term ids of every chunk are kept and
saved, so an update only tokenizes new chunks; the BM25 score matrix, whose IDF weights
depend on the whole corpus, is recomputed from those ids after a change (a numpy pass, not
a re-read of the texts) and never per query. This module knows nothing of files or disk
layout: it turns itself into bytes and back (`to_bytes`/`from_bytes`), and store.py decides
where they go.
"""
from __future__ import annotations

import io
import re
from functools import lru_cache

import numpy as np

_WORD = re.compile(r"\w+")
# BM25 parameters: the usual Lucene defaults, which measured as well as any other choice
# on the SQuAD benchmark (see docs/quality.md).
K1, B = 1.5, 0.75


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: the C Snowball stemmer that bm25s itself recommends

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def terms(text: str) -> list[str]:
    """The BM25 terms of a text: lowercase words, no stop words, stemmed.

    >>> terms("The Normans lived in Normandy in the 10th and 11th centuries")
    ['norman', 'live', 'normandi', '10th', '11th', 'centuri']
    """
    stop = _stopwords()
    words = [w for w in _WORD.findall(text.lower()) if w not in stop]
    return _stemmer().stemWords(words)


class LexicalIndex:
    """BM25 over chunks, keyed by chunk id; `search` gives (chunk id, score), best first."""

    def __init__(self, vocab: list[str] | None = None, chunk_terms: dict[int, np.ndarray] | None = None):
        self._vocab: dict[str, int] = {term: i for i, term in enumerate(vocab or [])}
        self._chunk_terms: dict[int, np.ndarray] = chunk_terms or {}
        self._bm25 = None  # built lazily after a change, by prepare()
        self._df: np.ndarray | None = None  # chunks holding each term id, built lazily
        self._order: np.ndarray = np.zeros(0, dtype=np.int64)  # matrix row -> chunk id

    def __len__(self) -> int:
        return len(self._chunk_terms)

    def __contains__(self, chunk_id: int) -> bool:
        return chunk_id in self._chunk_terms

    def add(self, chunk_id: int, text: str) -> None:
        ids = [self._vocab.setdefault(t, len(self._vocab)) for t in terms(text)]
        self._chunk_terms[chunk_id] = np.asarray(ids, dtype=np.int32)
        self._bm25 = self._df = None

    def remove(self, chunk_ids) -> None:
        for chunk_id in chunk_ids:
            if self._chunk_terms.pop(int(chunk_id), None) is not None:
                self._bm25 = self._df = None

    def idf(self, stems: list[str]) -> dict[str, float]:
        """BM25's inverse document frequency of each term (already stemmed, as `terms`
        gives them): high for rare words, near 0 for words in most chunks. A term no chunk
        holds gets the highest weight there is: nothing in the documents can match it.
        """
        n = len(self._chunk_terms)
        if self._df is None:
            df = np.zeros(len(self._vocab), dtype=np.int64)
            for ids in self._chunk_terms.values():
                df[np.unique(ids)] += 1
            self._df = df
        weights = {}
        for stem in stems:
            i = self._vocab.get(stem)
            count = int(self._df[i]) if i is not None and i < len(self._df) else 0
            weights[stem] = float(np.log(1 + (n - count + 0.5) / (count + 0.5)))
        return weights

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k chunks with the highest BM25 score for the query; chunks scoring 0
        (no query term in them) are left out, so fewer than k may come back. `allowed`
        (chunk ids) limits the search to those chunks: the others score 0 before the top
        k are taken, so k allowed chunks come back when k of them hold a query term."""
        if not self._chunk_terms or k < 1:
            return []
        query_ids = sorted({self._vocab[t] for t in terms(query) if t in self._vocab})
        if not query_ids:
            return []
        scores = self.prepare().get_scores_from_ids(query_ids)
        if allowed is not None:
            scores = np.where(self._rows_of(allowed), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self._order[i]), float(scores[i])) for i in top if scores[i] > 0]

    def _rows_of(self, chunk_ids: np.ndarray) -> np.ndarray:
        """A mask over the BM25 matrix's rows: True at the rows of these chunk ids."""
        ids = np.asarray(chunk_ids, dtype=np.int64)
        rows = np.searchsorted(self._order, ids)  # _order is sorted
        found = rows < len(self._order)
        found[found] = self._order[rows[found]] == ids[found]
        mask = np.zeros(len(self._order), dtype=bool)
        mask[rows[found]] = True
        return mask

    def prepare(self):
        """The BM25 model, built now if a change (or loading) left it unbuilt."""
        if self._bm25 is None:
            import bm25s

            self._order = np.fromiter(sorted(self._chunk_terms), dtype=np.int64)
            # numpy arrays, not lists: bm25s reads either, and lists of Python ints held
            # 420 MiB more at the peak for 106k chunks (docs/performance.md)
            corpus = [self._chunk_terms[int(i)] for i in self._order]
            bm25 = bm25s.BM25(k1=K1, b=B)
            # ids must cover the whole vocabulary (terms of removed chunks included), and
            # a chunk without terms still needs a row: bm25s adds an empty token for it.
            bm25.index((corpus, {term_id: term_id for term_id in range(len(self._vocab))}),
                       show_progress=False)
            self._bm25 = bm25
        return self._bm25

    # ---- bytes ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        order = sorted(self._chunk_terms)
        arrays = [self._chunk_terms[i] for i in order]
        buffer = io.BytesIO()
        np.savez(
            buffer,
            vocab=np.asarray(list(self._vocab), dtype=np.str_),
            chunk_ids=np.asarray(order, dtype=np.int64),
            lengths=np.asarray([len(a) for a in arrays], dtype=np.int64),
            term_ids=np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int32),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "LexicalIndex":
        with np.load(io.BytesIO(data), allow_pickle=False) as saved:
            vocab = saved["vocab"].tolist()
            ids, lengths, flat = saved["chunk_ids"], saved["lengths"], saved["term_ids"]
        if len(ids) != len(lengths) or int(lengths.sum()) != len(flat) or (len(flat) and flat.max() >= len(vocab)):
            raise ValueError("lexical index arrays disagree with each other")
        parts = np.split(flat.astype(np.int32), np.cumsum(lengths)[:-1]) if len(ids) else []
        return cls(vocab, {int(i): p for i, p in zip(ids, parts)})
