"""The Assistant: one object that the Python API, the CLI and the Gradio app all use.

It composes the stages (loading -> chunking -> embedding -> store -> retrieval ->
prompting -> generation -> citations) and holds no logic of its own beyond the order.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from .answerability import abstention_reason, answerability
from .citations import verify_answer
from .concurrency import one_completion_at_a_time, serial
from .config import Settings
from .conversation import rewrite_followup
from .documents import AddedFile, DocumentInfo, add_files, list_documents, remove_file
from .embedding import Embedder, load_embedder
from .errors import ConfigError, DocumentsError, IndexStoreError, QuestionError
from .generation import Generator, LlamaGenerator, check_gguf, default_models_dir, resolve_gguf
from .indexing import IndexReport, Log, sync_index
from .loading import read_source_text
from .prompting import build_prompt, build_reading_prompt, passage_budget
from .reading import Reading, choose, rank_windows, sentence_windows
from .retrieval import best_cosine, retrieve
from .store import VectorStore, recorded_docs_folder
from .types import Answer, Hit

SENTENCE_CACHE_SIZE = 50_000  # ~75 MB of 384-dim vectors

ABSTAIN_TEXT = "I could not find the answer in the documents."


class AnswerStream:
    """Iterate to receive the model's text as it is generated; then read `.answer`.

    The pieces are the model's draft (for base models, one line per passage read). The
    verified `Answer` (grounded text and citations, or an abstention) is ready once the
    iteration ends. Iterating again replays the same pieces; the model is not run twice.
    """

    def __init__(self, pieces: Iterator[str], finish: Callable[[str], Answer], question: str | None = None):
        self._pieces = pieces
        self._finish = finish
        self._seen: list[str] = []
        self.answer: Answer | None = None
        self.question = question  # what was searched for: a follow-up made to stand alone

    def __iter__(self) -> Iterator[str]:
        if self.answer is not None:
            yield from self._seen
            return
        for piece in self._pieces:
            self._seen.append(piece)
            yield piece
        self.answer = self._finish("".join(self._seen))


class Assistant:
    """Answers questions about a folder of documents, citing the files and lines it used."""

    def __init__(self, store: VectorStore, embedder: Embedder, settings: Settings,
                 docs: str | Path, index: str | Path, generator: Generator | None = None,
                 report: IndexReport | None = None):
        self.store = store
        self.embedder = serial(embedder)  # shared by questions and indexing (concurrency.py)
        self.settings = settings
        self.docs = Path(docs)
        self.index_dir = Path(index)
        self._generator = generator
        self.report = report  # what the last index update did
        self._generators: dict[str, Generator] = {}  # other GGUFs asked for through settings
        self._models_lock = threading.Lock()
        self._index_lock = threading.Lock()  # one index update at a time in this process
        # Sentence text -> vector: questions about the same documents meet the same
        # sentences again, and a sentence's vector never changes (keyed by its text).
        self._sentence_vectors: dict[str, np.ndarray] = {}

    @classmethod
    def open(cls, docs: str | Path | None = None, index: str | Path = "index", *,
             settings: Settings | None = None, model: str | None = None,
             embedder: Embedder | None = None, generator: Generator | None = None,
             update: bool = True, rebuild: bool = False, log: Log = lambda _: None) -> "Assistant":
        """Open the index in `index`, building or updating it from `docs` first.

        `docs` defaults to the folder the index was built from, else `seeds`. With
        `update=False` the saved index is used as it is (and must exist); `docs` is then
        only where quotes are checked. `model` is a GGUF path; by default RAG_MODEL, a
        GGUF in models/, or the bundled default.
        """
        docs = Path(docs) if docs is not None else _default_docs(index)
        settings = (settings or Settings()).validate().with_model(model)
        if settings.models.gguf_path and generator is None:
            check_gguf(Path(settings.models.gguf_path))  # fail before indexing, not at the first question
        embedder = serial(embedder or load_embedder(settings.models, log))
        if update:
            store, report = sync_index(docs, index, embedder, settings, log=log, rebuild=rebuild)
        else:
            store, report = _load_existing(index, embedder, settings), None
            if not docs.is_dir():
                raise DocumentsError(
                    f"documents folder {str(docs)!r} is missing, so quotes can't be checked against "
                    f"it; pass the folder where the files are now (--docs DIR)")
        return cls(store, embedder, settings, docs, index, generator, report)

    def reindex(self, log: Log = lambda _: None, rebuild: bool = False) -> IndexReport:
        with self._index_lock:
            return self._sync(log, rebuild)

    def _sync(self, log: Log, rebuild: bool = False) -> IndexReport:
        # sync_index builds a new store (the live one is never changed in place) and this
        # one assignment swaps it in: a question asked meanwhile uses the old index whole.
        self.store, self.report = sync_index(self.docs, self.index_dir, self.embedder,
                                             self.settings, log=log, rebuild=rebuild)
        return self.report

    def documents(self) -> list[DocumentInfo]:
        """The indexed files: name, date, number of passages, size."""
        return list_documents(self.store.manifest, self.docs)

    def add_documents(self, paths: list[str | Path], log: Log = lambda _: None
                      ) -> tuple[list[AddedFile], IndexReport | None]:
        """Copy files into the documents folder under safe names, then index them.

        Each file gets its own outcome (added, already there, or refused with the reason);
        the report is None when no file was added.
        """
        with self._index_lock:
            added = add_files(paths, self.docs, self.settings.loading)
            report = self._sync(log) if any(a.saved_as for a in added) else None
        return added, report

    def remove_document(self, source: str, log: Log = lambda _: None) -> IndexReport:
        """Take one file out of the index; the file moves to the folder's `.removed/`."""
        with self._index_lock:
            if self.store.sources == [source]:
                raise DocumentsError(f"{source!r} is the only document; add another before removing it")
            remove_file(self.docs, source, self.store.sources)
            return self._sync(log)

    def source_text(self, source: str) -> str | None:
        """The current text of a document in the folder (None if it is gone or unreadable)."""
        return read_source_text(self.docs, source)

    def model_choices(self) -> list[Path]:
        """GGUF files to answer with: the one in use and those in the models folder."""
        folder = Path(self.settings.models.models_dir) if self.settings.models.models_dir else default_models_dir()
        current = getattr(self.generator, "path", None)
        found = sorted(folder.glob("*.gguf"))
        return ([current] if current and current not in found else []) + found

    def warm_up(self, settings: Settings | None = None) -> None:
        """Load both models and run each once, so the first question pays no hidden load.

        For a base model this also evaluates the reading prompt's fixed worked examples,
        which llama.cpp then reuses from its cache for every question.
        """
        self.embedder.embed(["warm up"])
        self.store.prepare()
        generator = self._generator_for(settings or self.settings)
        prompt = (build_prompt("Hello?", []) if generator.uses_chat_template
                  else build_reading_prompt("Who?", "Ana met Bo.", max_tokens=1))
        for _piece in one_completion_at_a_time(generator.generate(dataclasses.replace(prompt, max_tokens=1))):
            pass

    @property
    def generator(self) -> Generator:
        """The answering model, loaded on first use (indexing never needs it)."""
        if self._generator is None:
            path = resolve_gguf(self.settings.models)
            self._generator = LlamaGenerator(path, self.settings.generation)
        return self._generator

    def search(self, question: str, k: int | None = None, mode: str | None = None) -> list[Hit]:
        """The k passages that best match the question (default: retrieval.top_k), best first.

        `mode` is "hybrid", "dense" or "lexical" (default: retrieval.mode). Each hit has
        `chunk` (source, start_line, end_line, text), `score`, and its `dense` cosine.
        """
        question = validate_question(question, self.settings.generation.max_question_chars)
        if k is not None and (not isinstance(k, int) or k < 1):
            raise ConfigError(f"k={k!r} must be a whole number of passages, 1 or more")
        return self._retrieve(question, k or self.settings.retrieval.top_k, mode)

    def _retrieve(self, question: str, k: int, mode: str | None = None, vector=None) -> list[Hit]:
        r = self.settings.retrieval
        return retrieve(self.store, self.embedder, question, k, mode or r.mode, r.pool, r.rrf_k,
                        r.lexical_weight, vector)

    def ask(self, question: str, *, history: Sequence[Answer] = (), settings: Settings | None = None) -> Answer:
        stream = self.stream(question, history=history, settings=settings)
        for _ in stream:
            pass
        return stream.answer

    def stream(self, question: str, *, history: Sequence[Answer] = (),
               settings: Settings | None = None) -> AnswerStream:
        """Answer as a stream of drafts, then `.answer`; see AnswerStream.

        `history`: the earlier answers of this conversation; a follow-up ("and who did he
        meet?") is rewritten with the latest to stand alone (conversation.py), and the
        rewritten question is `.question` and `answer.question`. `settings`: this question's
        settings (number of passages, answer length, another GGUF in `models.gguf_path`),
        leaving the Assistant's own untouched, so concurrent users can differ.
        """
        settings = self.settings if settings is None else settings.validate()
        question = validate_question(question, settings.generation.max_question_chars)
        question = rewrite_followup(question, history)
        started = time.perf_counter()
        vector = self.embedder.embed([question])[0]  # for retrieval and the answerability check
        hits = self._retrieve(question, settings.retrieval.top_k, vector=vector)
        timings = {"retrieve": time.perf_counter() - started}
        closest = best_cosine(hits)
        if closest is None or closest < settings.retrieval.min_score:
            best = f"{closest:.2f}" if closest is not None else "none"
            reason = (f"no passage is close to the question (best score {best}, "
                      f"threshold {settings.retrieval.min_score})")
            answer = self._abstain(question, hits, "", reason, started, timings)
            return AnswerStream(iter(()), lambda _draft: answer, question)

        gen = settings.generation
        prompt = build_prompt(question, hits, passage_budget(gen.n_ctx, gen.max_tokens, len(question)))
        used = hits[: prompt.passages]
        windows, similarities = self._sentence_similarities(vector, used)
        early = abstention_reason(answerability(similarities), settings.grounding.min_answerability)
        if early:
            answer = self._abstain(question, hits, "", early, started, timings)
            return AnswerStream(iter(()), lambda _draft: answer, question)
        texts = {s: t for s in {h.chunk.source for h in used}
                 if (t := read_source_text(self.docs, s)) is not None}
        generator = self._generator_for(settings)

        def verify(draft: str):
            return verify_answer(question, draft.strip(), used, texts,
                                 min_support=settings.grounding.min_support,
                                 min_relevance=settings.grounding.min_relevance)

        def finish(draft: str, verdict) -> Answer:
            timings["generate"] = time.perf_counter() - started - timings["retrieve"]
            if verdict is None or verdict.abstained:
                reason = verdict.reason if verdict else "no reading of the passages was supported by them"
                return self._abstain(question, used, draft, reason, started, timings)
            return Answer(question, verdict.text, False, verdict.citations, tuple(used),
                          draft=draft, reason=verdict.reason,
                          seconds=time.perf_counter() - started, timings=timings)

        if generator.uses_chat_template:
            prompt = dataclasses.replace(prompt, max_tokens=gen.max_tokens)
            return AnswerStream(one_completion_at_a_time(generator.generate(prompt)),
                                lambda draft: finish(draft, verify(draft)), question)
        return AnswerStream(*self._read_windows(question, windows, similarities, verify, finish, gen, generator),
                            question)

    def _generator_for(self, settings: Settings) -> Generator:
        """The Assistant's model, or the other GGUF these settings name (loaded once)."""
        path = settings.models.gguf_path
        if settings is self.settings or not path or path == self.settings.models.gguf_path:
            return self.generator
        if Path(path) == getattr(self.generator, "path", None):
            return self.generator
        with self._models_lock:
            if path not in self._generators:
                self._generators[path] = LlamaGenerator(check_gguf(Path(path)), settings.generation)
            return self._generators[path]

    def answerability(self, question: str) -> float:
        """How close the nearest sentence of the retrieved passages is to the question
        (cosine); below `grounding.min_answerability` the assistant abstains unasked."""
        question = validate_question(question, self.settings.generation.max_question_chars)
        vector = self.embedder.embed([question])[0]
        hits = self._retrieve(question, self.settings.retrieval.top_k, vector=vector)
        return answerability(self._sentence_similarities(vector, hits)[1])

    def _sentence_similarities(self, vector, hits) -> tuple[list, list[float]]:
        """The sentence windows of the hits and each sentence's cosine with the question
        (whose embedding is `vector`); only sentences not met before are embedded."""
        windows = sentence_windows(hits)
        cache = self._sentence_vectors
        if len(cache) > SENTENCE_CACHE_SIZE:
            cache.clear()
        known = {w.sentence: cache[w.sentence] for w in windows if w.sentence in cache}
        new = list(dict.fromkeys(w.sentence for w in windows if w.sentence not in known))
        if new:
            vectors = self.embedder.embed(new)
            known.update(zip(new, vectors))
            cache.update(zip(new, vectors))
        return windows, [float(known[w.sentence] @ vector) for w in windows]

    def _read_windows(self, question, windows, similarities, verify, finish, gen, generator):
        """Base models: ask about the best few sentence windows one at a time (reading.py)."""
        ranked = rank_windows(question, windows, similarities)[: gen.reading_windows]
        readings: list[Reading] = []
        outcome = {}

        def pieces():
            for window in ranked:
                avoid: tuple[str, ...] = ()
                for _attempt in range(2):
                    prompt = build_reading_prompt(question, window.text, avoid, gen.reading_max_tokens)
                    draft = []
                    for piece in one_completion_at_a_time(generator.generate(prompt)):
                        draft.append(piece)
                        yield piece
                    yield "\n"
                    text = "".join(draft).strip()
                    reading = Reading(window, text, verify(text))
                    readings.append(reading)
                    # A draft that only repeats the question's words (the person asked about,
                    # not the one they met) gets one more try that can't start the same way.
                    if not reading.verdict.only_restates:
                        break
                    avoid = (text.split()[0],)
            best = choose(readings)
            outcome["answer"] = finish(best.draft if best else "\n".join(r.draft for r in readings),
                                       best.verdict if best else _last_verdict(readings))

        return pieces(), lambda _draft: outcome["answer"]

    def _abstain(self, question, hits, draft, reason, started, timings) -> Answer:
        return Answer(question, ABSTAIN_TEXT, True, (), tuple(hits), draft=draft, reason=reason,
                      seconds=time.perf_counter() - started, timings=timings)

def _default_docs(index: str | Path) -> Path:
    recorded = recorded_docs_folder(index)
    if recorded is None:
        return Path("seeds")
    if not Path(recorded).is_dir():
        raise DocumentsError(
            f"the index in {str(index)!r} was built from {recorded!r}, which no longer exists; "
            f"pass the folder where the documents are now (--docs DIR, or docs=...)")
    return Path(recorded)


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


def _last_verdict(readings):
    return readings[-1].verdict if readings else None


def _load_existing(index: str | Path, embedder: Embedder, settings: Settings) -> VectorStore:
    store = VectorStore.load(index)
    if store is None:
        raise IndexStoreError(f"no index in {str(index)!r} yet; build it with: rag index DOCS --index {index}")
    mismatch = store.manifest.settings_mismatch(
        embedder.model_id, embedder.dimension, dataclasses.asdict(settings.chunking))
    if mismatch:
        raise IndexStoreError(f"the index in {str(index)!r} can't be used as it is: {mismatch}; "
                              f"update it with: rag index DOCS --index {index}")
    return store
