"""The Assistant: one object that the Python API, the CLI and the Gradio app all use.

It composes the stages (loading -> chunking -> embedding -> store -> retrieval ->
prompting -> generation -> citations) and holds no logic of its own beyond the order.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .citations import verify_answer
from .config import Settings
from .embedding import Embedder, SentenceTransformerEmbedder
from .errors import ConfigError, DocumentsError, IndexStoreError, QuestionError
from .generation import Generator, LlamaGenerator, check_gguf, resolve_gguf
from .indexing import IndexReport, Log, sync_index
from .loading import read_source_text
from .prompting import build_prompt, build_reading_prompt, passage_budget
from .reading import Reading, choose, rank_windows, sentence_windows
from .retrieval import retrieve
from .store import VectorStore, recorded_docs_folder
from .types import Answer, Hit

ABSTAIN_TEXT = "I could not find the answer in the documents."


class AnswerStream:
    """Iterate to receive the model's text as it is generated; then read `.answer`.

    The pieces are the model's draft (for base models, one line per passage read). The
    verified `Answer` (grounded text and citations, or an abstention) is ready once the
    iteration ends. Iterating again replays the same pieces; the model is not run twice.
    """

    def __init__(self, pieces: Iterator[str], finish: Callable[[str], Answer]):
        self._pieces = pieces
        self._finish = finish
        self._seen: list[str] = []
        self.answer: Answer | None = None

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
        self.embedder = embedder
        self.settings = settings
        self.docs = Path(docs)
        self.index_dir = Path(index)
        self._generator = generator
        self.report = report  # what the last index update did

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
        embedder = embedder or SentenceTransformerEmbedder(settings.models.embedding_path)
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
        self.store, self.report = sync_index(self.docs, self.index_dir, self.embedder,
                                             self.settings, log=log, rebuild=rebuild)
        return self.report

    @property
    def generator(self) -> Generator:
        """The answering model, loaded on first use (indexing never needs it)."""
        if self._generator is None:
            path = resolve_gguf(self.settings.models)
            self._generator = LlamaGenerator(path, self.settings.generation)
        return self._generator

    def warm_up(self) -> None:
        """Load the answering model and run both models once, so the first question is as
        fast as the next ones. The app calls it in a background thread while its page starts.
        """
        self.embedder.embed(["warm up"])
        self.store.search_index()  # builds the IVF copy of a large index now
        warm = getattr(self.generator, "warm_up", None)
        if warm is not None:
            warm()

    def search(self, question: str, k: int | None = None) -> list[Hit]:
        """The k passages closest to the question (default: retrieval.top_k), best first."""
        question = validate_question(question, self.settings.generation.max_question_chars)
        if k is not None and (not isinstance(k, int) or k < 1):
            raise ConfigError(f"k={k!r} must be a whole number of passages, 1 or more")
        return retrieve(self.store, self.embedder, question, k or self.settings.retrieval.top_k)

    def ask(self, question: str) -> Answer:
        stream = self.stream(question)
        for _ in stream:
            pass
        return stream.answer

    def stream(self, question: str) -> AnswerStream:
        started = time.perf_counter()
        hits = self.search(question)
        timings = {"retrieve": time.perf_counter() - started}
        if not hits or hits[0].score < self.settings.retrieval.min_score:
            best = f"{hits[0].score:.2f}" if hits else "none"
            reason = (f"no passage is close to the question (best score {best}, "
                      f"threshold {self.settings.retrieval.min_score})")
            answer = self._abstain(question, hits, "", reason, started, timings)
            return AnswerStream(iter(()), lambda _draft: answer)

        gen = self.settings.generation
        prompt = build_prompt(question, hits, passage_budget(gen.n_ctx, gen.max_tokens, len(question)))
        used = hits[: prompt.passages]
        texts = {s: t for s in {h.chunk.source for h in used}
                 if (t := read_source_text(self.docs, s)) is not None}
        generator = self.generator

        def verify(draft: str):
            return verify_answer(question, draft.strip(), used, texts,
                                 min_support=self.settings.grounding.min_support,
                                 min_relevance=self.settings.grounding.min_relevance)

        def finish(draft: str, verdict) -> Answer:
            timings["generate"] = time.perf_counter() - started - timings["retrieve"]
            if verdict is None or verdict.abstained:
                reason = verdict.reason if verdict else "no reading of the passages was supported by them"
                return self._abstain(question, used, draft, reason, started, timings)
            return Answer(question, verdict.text, False, verdict.citations, tuple(used),
                          draft=draft, reason=verdict.reason,
                          seconds=time.perf_counter() - started, timings=timings)

        if generator.uses_chat_template:
            return AnswerStream(generator.generate(prompt), lambda draft: finish(draft, verify(draft)))
        return AnswerStream(*self._read_windows(question, used, verify, finish))

    def _read_windows(self, question, hits, verify, finish):
        """Base models: ask about the best few sentence windows one at a time (reading.py)."""
        windows = sentence_windows(hits)
        vectors = self.embedder.embed([question] + [w.sentence for w in windows])
        similarities = [float(v) for v in vectors[1:] @ vectors[0]]
        ranked = rank_windows(question, windows, similarities)[: self.settings.generation.reading_windows]
        readings: list[Reading] = []
        outcome = {}

        def pieces():
            for window in ranked:
                avoid: tuple[str, ...] = ()
                for _attempt in range(2):
                    prompt = build_reading_prompt(question, window.text, avoid,
                                                  self.settings.generation.reading_max_tokens)
                    draft = []
                    for piece in self.generator.generate(prompt):
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
