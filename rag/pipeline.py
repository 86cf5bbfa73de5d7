"""The Assistant: one object that the Python API, the CLI and the Gradio app all use.

It composes the stages and holds no logic of its own beyond their order:

    question -> retrieval (retrieval.py) -> closest-passage and answerability gates
    (answerability.py) -> evidence sentences scored by the question's distinctive terms
    (evidence.py) -> a reader drafts short answers from the best ones (readers/) ->
    each draft is checked against its sentence and the question (grounding.py,
    answer_rules.py) -> the reply: short answer in its evidence, evidence, or abstention.

Document management lives in document_admin.py and the answering models in
answering_models.py; both are mixed into Assistant.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from .answer_stream import AnswerStream, question_filter, settings_keywords
from .answerability import abstention_reason, answerability
from .answering_models import AnsweringModels
from .collections import DEFAULT, DEFAULT_INDEX, check_exists, collection_index
from .concurrency import serial
from .config import Settings
from .conversation import rewrite_followup
from .document_admin import DocumentAdmin
from .embedding import Embedder, load_embedder
from .errors import ConfigError, DocumentsError
from .evidence import is_summary_request, sentence_windows, summary_windows
from .filters import DocumentFilter, scope
from .generation import Generator, check_gguf
from .grounding import Reply, best_coverage, check_reading, compose, ranked_evidence, summary
from .indexing import IndexReport, Log, sync_index
from .loading import read_source_text
from .opening import documents_folder, load_existing, validate_question
from .progress import Progress, no_progress
from .readers import reader_for
from .retrieval import best_cosine, retrieve
from .sentence_cache import SentenceVectors
from .store import VectorStore
from .types import ABSTAINED, Answer, Hit

__all__ = ["ABSTAIN_TEXT", "AnswerStream", "Assistant", "documents_folder", "validate_question"]

ABSTAIN_TEXT = "I could not find the answer in the documents."


class Assistant(DocumentAdmin, AnsweringModels):
    """Answers questions about a folder of documents, citing the files and lines it used."""

    def __init__(self, store: VectorStore, embedder: Embedder, settings: Settings,
                 docs: str | Path, index: str | Path, generator: Generator | None = None,
                 report: IndexReport | None = None, collection: str = DEFAULT):
        self.store = store
        self.collection = collection  # its name; "default" is the index in --index (collections.py)
        self.embedder = serial(embedder)  # shared by questions and indexing (concurrency.py)
        self.settings = settings
        self.docs = Path(docs)
        self.index_dir = Path(index)
        self._generator = generator
        self.report = report  # what the last index update did
        self._generators: dict[str, Generator] = {}  # other GGUFs asked for through settings
        self._models_lock = threading.Lock()
        self._index_lock = threading.Lock()  # one index update at a time in this process
        self._sentences = SentenceVectors(self.embedder)

    @classmethod
    def open(cls, docs: str | Path | None = None, index: str | Path = DEFAULT_INDEX, *,
             collection: str | None = None, settings: Settings | None = None, model: str | None = None,
             embedder: Embedder | None = None, generator: Generator | None = None,
             update: bool = True, rebuild: bool = False, log: Log = lambda _: None,
             progress: Progress = no_progress) -> "Assistant":
        """Open the index in `index`, building or updating it from `docs` first.

        `docs` defaults to the folder the index was built from, else `seeds`. With
        `update=False` the saved index is used as it is (and must exist); `docs` is then
        only where quotes are checked. `model` is a GGUF path; by default RAG_MODEL, a
        GGUF in models/, or the bundled default; `settings.models.llm_base_url` (or
        RAG_LLM_BASE_URL) answers through a model server instead (docs/model-servers.md).
        `progress` hears of indexing (progress.py).

        `collection` opens a named collection instead: its index is in
        `$RAG_COLLECTIONS_DIR/NAME` (default `collections/NAME`), and its documents are the
        folder it was first built from (collections.py). Opening another collection with
        `embedder=` and `generator=` of an open Assistant reuses its loaded models.
        """
        collection, index = collection_index(collection, index)
        if docs is None:
            check_exists(collection, index)
        docs, why = documents_folder(docs, index, update)
        settings = (settings or Settings()).validate().with_model(model)
        if model and settings.models.llm_base_url:
            raise ConfigError(
                f"both a GGUF ({model}) and a model server ({settings.models.llm_base_url}) were given to "
                f"answer with; choose one: drop --model, or --llm-base-url (and unset RAG_LLM_BASE_URL)")
        if settings.models.gguf_path and not settings.models.llm_base_url and generator is None:
            check_gguf(Path(settings.models.gguf_path))  # fail before indexing, not at the first question
        embedder = serial(embedder or load_embedder(settings.models, log))
        if update:
            store, report = sync_index(docs, index, embedder, settings, log=log, rebuild=rebuild,
                                       progress=progress)
        else:
            store, report = load_existing(index, embedder, settings), None
            if not docs.is_dir():
                raise DocumentsError(
                    f"documents folder {str(docs)!r} is missing, so quotes can't be checked against "
                    f"it; pass the folder where the files are now (--docs DIR)")
        if collection != DEFAULT:
            log(f"collection: {collection} (index in {index})")
        log(f"documents: {docs} ({why})")  # once it is open: an error stays one line
        return cls(store, embedder, settings, docs, index, generator, report, collection)

    def search(self, question: str, k: int | None = None, mode: str | None = None, *, sources=None,
               since=None, until=None, document_filter: DocumentFilter | None = None) -> list[Hit]:
        """The k passages that best match the question (default: retrieval.top_k), best first.

        `mode` is "hybrid", "dense" or "lexical" (default: retrieval.mode). Each hit has
        `chunk` (source, start_line, end_line, text), `score`, and its `dense` cosine.
        `sources` (name patterns), `since` and `until` (inclusive dates) search only the
        files they allow, as in `stream`.
        """
        question = validate_question(question, self.settings.generation.max_question_chars)
        if k is not None and (not isinstance(k, int) or k < 1):
            raise ConfigError(f"k={k!r} must be a whole number of passages, 1 or more")
        allowed, _note = self._allowed_chunks(question_filter(document_filter, sources, since, until))
        return self._retrieve(question, k or self.settings.retrieval.top_k, mode, allowed=allowed)

    def _retrieve(self, question: str, k: int, mode: str | None = None, vector=None, allowed=None) -> list[Hit]:
        r = self.settings.retrieval
        return retrieve(self.store, self.embedder, question, k, mode or r.mode, r.pool, r.rrf_k,
                        r.lexical_weight, vector, allowed)

    def _allowed_chunks(self, document_filter: DocumentFilter | None) -> tuple[np.ndarray | None, str]:
        """The chunk ids a question's filter allows (None: every chunk), and the note its
        abstentions add; NoMatchingDocumentsError when it allows no indexed file."""
        if document_filter is None:
            return None, ""
        files = {source: entry for source, entry in self.store.manifest.files.items() if entry.chunk_ids}
        allowed = scope(document_filter, {s: e.date for s, e in files.items()},
                        lambda source: _modified(self.docs / source))
        if len(allowed.allowed) == len(files):
            return None, ""  # nothing left out: the unfiltered search is the same, and faster
        ids = [i for source in allowed.allowed for i in files[source].chunk_ids]
        return np.asarray(ids, dtype=np.int64), allowed.note(document_filter)

    def ask(self, question: str, *, history: Sequence[Answer] = (), settings: Settings | None = None,
            top_k: int | None = None, mode: str | None = None, sources=None, since=None, until=None,
            document_filter: DocumentFilter | None = None) -> Answer:
        """The verified Answer; `stream` shows the drafts as they come. `top_k` and `mode`
        change this question's passages and retrieval mode only; `sources`, `since` and
        `until` the files that may answer; see `stream` for the rest."""
        stream = self.stream(question, history=history, settings=settings, top_k=top_k, mode=mode,
                             sources=sources, since=since, until=until, document_filter=document_filter)
        for _ in stream:
            pass
        return stream.answer

    @settings_keywords
    def stream(self, question: str, *, history: Sequence[Answer] = (), settings: Settings | None = None,
               document_filter: DocumentFilter | None = None) -> AnswerStream:
        """Answer as a stream of drafts, then `.answer`; see AnswerStream.

        `history`: the earlier answers of this conversation; a follow-up ("and who did he
        meet?") is rewritten with the latest to stand alone (conversation.py), and the
        rewritten question is `.question` and `answer.question`. `settings`: this question's
        settings (number of passages, answer length, another GGUF in `models.gguf_path`),
        leaving the Assistant's own untouched, so concurrent users can differ.
        `sources` (file name patterns such as "*.pdf" or "reports/**"), `since` and `until`
        (dates, inclusive, as `datetime.date` or "YYYY-MM-DD"): only the files they allow are
        searched, so every passage, quote and closest passage comes from them (filters.py has
        the rules; a file's date is its `date` header, else its modification day). A filter
        that allows no indexed file raises NoMatchingDocumentsError naming what exists.
        """
        settings = self.settings if settings is None else settings.validate()
        question = rewrite_followup(validate_question(question, settings.generation.max_question_chars), history)
        allowed, searched = self._allowed_chunks(document_filter)
        started = time.perf_counter()
        timings: dict[str, float] = {}

        def done(reply: Reply, hits, draft: str = "") -> Answer:
            timings["total"] = time.perf_counter() - started
            if reply.kind == ABSTAINED:
                reason = f"{reply.reason}; {searched}" if searched and reply.reason else reply.reason or searched
                return Answer(question, ABSTAIN_TEXT, True, (), tuple(hits), draft=draft, reason=reason,
                              seconds=timings["total"], timings=timings, kind=ABSTAINED)
            return Answer(question, reply.text, False, self._placed(reply.citations), tuple(hits), draft=draft,
                          reason=reply.reason, seconds=timings["total"], timings=timings,
                          evidence=self._placed(reply.evidence), short_answer=reply.short_answer,
                          kind=reply.kind)

        def stop(reason: str, hits) -> AnswerStream:
            answer = done(Reply(ABSTAINED, "", None, (), reason), hits)
            return AnswerStream(iter(()), lambda _draft: answer, question)

        # 1. retrieval, and the gates that need no model
        vector = self.embedder.embed([question])[0]  # for retrieval and the sentence cosines
        hits = self._retrieve(question, settings.retrieval.top_k, vector=vector, allowed=allowed)
        timings["retrieve"] = time.perf_counter() - started
        closest = best_cosine(hits)
        if closest is None or closest < settings.retrieval.min_score:
            best = f"{closest:.2f}" if closest is not None else "none"
            return stop(f"no passage is close to the question (best score {best}, "
                        f"threshold {settings.retrieval.min_score})", hits)
        windows = sentence_windows(hits)
        cosines = self._sentences.cosines(vector, [w.sentence for w in windows])
        g = settings.grounding
        early = abstention_reason(answerability(cosines), g.min_answerability)
        if early:
            return stop(early, hits)

        # 2. evidence: the sentences that carry the question's terms, in current files only
        texts = {s: t for s in {h.chunk.source for h in hits}
                 if (t := read_source_text(self.docs, s, self.index_dir)) is not None}
        scored = ranked_evidence(question, windows, cosines, self.store.lexical.idf, texts, g)
        timings["evidence"] = time.perf_counter() - started - timings["retrieve"]
        if is_summary_request(question):
            reply = summary(summary_windows(scored, g.min_evidence * g.summary_share), texts)
            return AnswerStream(iter(()), lambda _draft: done(reply, hits), question)
        if not scored or scored[0].score < g.min_evidence:
            return stop(compose(question, scored, [], texts, g.min_evidence).reason, hits)

        # 3. the reader drafts short answers; each is checked against its own sentence
        readings = []
        reader = reader_for(self._generator_for(settings), settings.generation)

        def finish(draft: str) -> Answer:
            best = best_coverage(question, scored, texts)
            checked = [check_reading(question, r, texts[r.scored.window.hit.chunk.source], g.min_short_coverage,
                                     g.max_answer_gap, best, g.short_coverage_margin) for r in readings]
            return done(compose(question, scored, checked, texts, g.min_evidence,
                                min_evidence_only=g.min_evidence_only), hits, draft)

        return AnswerStream(reader.read(question, scored, readings, hits), finish, question)

    def _placed(self, quotes: tuple) -> tuple:
        """Citations or evidence with the page and heading path of their first line."""
        return tuple(replace(q, **dict(zip(("page", "section"), self.store.place(q.source, q.start_line))))
                     for q in quotes)

    def answerability(self, question: str) -> float:
        """How close the nearest sentence of the retrieved passages is to the question
        (cosine); below `grounding.min_answerability` the assistant abstains unasked."""
        question = validate_question(question, self.settings.generation.max_question_chars)
        vector = self.embedder.embed([question])[0]
        hits = self._retrieve(question, self.settings.retrieval.top_k, vector=vector)
        return answerability(self._sentences.cosines(vector, [w.sentence for w in sentence_windows(hits)]))


def _modified(path: Path) -> float | None:
    """A file's modification time, None if it can't be read (then its date is unknown)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return None
