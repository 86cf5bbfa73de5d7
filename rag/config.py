"""Settings, grouped by pipeline stage, each with a default and the reason for it.

`Settings` is built once where input enters (the CLI, the app, `Assistant.open`) and is
passed down as one validated object. It does not read files or the environment, except
`ModelSettings.with_env`, which documents the environment variables it honours.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace

from .errors import ConfigError

MODEL_ENV_VAR = "RAG_MODEL"
EMBEDDING_ENV_VAR = "RAG_EMBEDDING_MODEL"
EMBEDDING_BACKEND_ENV_VAR = "RAG_EMBEDDING_BACKEND"
# auto: onnxruntime at full precision when the model can be exported (the same vectors as
# torch, faster), else torch. onnx-int8: about 2x faster indexing, slightly different
# vectors (docs/performance.md); its index is kept apart from the others.
EMBEDDING_BACKENDS = ("auto", "onnx", "onnx-int8", "torch")
# An OpenAI-compatible model server answering instead of a GGUF (remote_generation.py)
LLM_BASE_URL_ENV_VAR = "RAG_LLM_BASE_URL"
LLM_MODEL_ENV_VAR = "RAG_LLM_MODEL"
LLM_API_KEY_ENV_VAR = "RAG_LLM_API_KEY"
LLM_API_ENV_VAR = "RAG_LLM_API"
# auto: completions for a base model (no chat template), chat otherwise (remote_generation.choose_api)
LLM_APIS = ("auto", "chat", "completions")


@dataclass(frozen=True)
class LoadingSettings:
    # what counts as a document: plain text, and (formats.py) PDF, Word and HTML files;
    # extension-less README, LICENSE and CHANGELOG files are read when they sniff as text
    extensions: tuple[str, ...] = (".txt", ".md", ".markdown", ".rst", ".pdf", ".docx", ".html", ".htm")
    # larger files are skipped: ~3M words is no longer a note (PDFs with images run larger)
    max_file_bytes: int = 20_000_000
    max_binary_bytes: int = 200_000_000  # the same limit for PDF and DOCX files
    # PDF, DOCX and HTML are parsed in a child process (parse_process.py): a file that takes
    # longer, or needs more memory, is skipped with a message; the run goes on
    parse_seconds: float = 60.0
    parse_memory_mb: int = 1536
    parser: str = "rag.formats:extract_file"  # the function the child runs; tests swap it


@dataclass(frozen=True)
class ChunkingSettings:
    # 200 words (~260 tokens, about MiniLM's 256-token window) gave the best recall@5
    # among 100/150/200/250 on the SQuAD benchmark's dev split (docs/quality.md);
    # 4 chunks plus the question still fit the default 2048-token context.
    max_words: int = 200
    # Words carried over from the end of one chunk into the next (whole sentences), so
    # a fact that straddles a boundary is still whole in one chunk.
    overlap_words: int = 40

    def validate(self) -> None:
        if self.max_words < 10:
            raise ConfigError(f"chunking.max_words={self.max_words} is too small; use 10 or more")
        if not 0 <= self.overlap_words < self.max_words:
            raise ConfigError(
                f"chunking.overlap_words={self.overlap_words} must be >= 0 and below "
                f"max_words={self.max_words}"
            )


RETRIEVAL_MODES = ("dense", "lexical", "hybrid")
READERS = ("generate", "spans", "generate+spans")
SPAN_SCORES = ("mean", "sum")


def check_choice(what: str, value: str, choices: tuple[str, ...]) -> str:
    """The value if it is one of the choices, else a ConfigError naming them.

    >>> check_choice("retrieval mode", "dense", RETRIEVAL_MODES)
    'dense'
    """
    if value not in choices:
        raise ConfigError(f"{what} {value!r} is unknown; use one of {', '.join(choices)}")
    return value


def check_retrieval_mode(mode: str) -> str:
    """The mode if it is one of RETRIEVAL_MODES, else a ConfigError naming the choices."""
    return check_choice("retrieval mode", mode, RETRIEVAL_MODES)


@dataclass(frozen=True)
class RetrievalSettings:
    top_k: int = 4  # passages given to the model and reported as sources
    # "hybrid" fuses BM25 and embedding rankings (reciprocal rank fusion); it beat both
    # "dense" and "lexical" on recall@5 and MRR on the SQuAD benchmark (docs/quality.md).
    mode: str = "hybrid"
    pool: int = 50  # hybrid: how deep each of the two rankings is read before fusing
    # hybrid: the RRF constant (larger flattens the rank discount) and the weight of BM25's
    # votes against the embedding's. Chosen on the SQuAD dev split among k 5/10/20/60 and
    # weights 1/1.5/2/3: questions that reuse the documents' words favour BM25.
    rrf_k: int = 5
    lexical_weight: float = 2.0
    # Below this cosine similarity the closest passage is unrelated to the question: we
    # abstain without asking the model. all-MiniLM-L6-v2 puts on-topic passages above ~0.35.
    min_score: float = 0.25

    def validate(self) -> None:
        if self.top_k < 1:
            raise ConfigError(f"retrieval.top_k={self.top_k} must be at least 1")
        check_retrieval_mode(self.mode)
        if self.pool < 1 or self.rrf_k < 1:
            raise ConfigError(f"retrieval.pool={self.pool} and rrf_k={self.rrf_k} must be at least 1")
        if self.lexical_weight < 0:
            raise ConfigError(f"retrieval.lexical_weight={self.lexical_weight} must be 0 or more")


@dataclass(frozen=True)
class GenerationSettings:
    n_ctx: int = 2048  # prompt + answer tokens; 4 chunks of 150 words need ~900
    max_tokens: int = 96  # answers are short: a phrase or a few sentences
    temperature: float = 0.0  # deterministic: the same question gets the same answer
    # llama.cpp threads for writing the answer (one token at a time) and for reading the
    # prompt (a batch). None: from the cores this process may use (llama_threads below).
    n_threads: int | None = None
    n_threads_batch: int | None = None
    max_question_chars: int = 2000
    # Base models (no chat template) read this many evidence windows, one prompt each,
    # and the verified drafts vote (readers/). 0: no model is asked, the reply is the
    # evidence alone ("quotes only").
    reading_windows: int = 3
    reading_max_tokens: int = 32  # a copied phrase, not an essay
    # How a base model reads each window (readers/): "generate" writes the answer freely;
    # "spans" ranks the window's candidate phrases (answer_candidates.py) by the model's
    # log-probability after the same prompt; "generate+spans" writes freely and falls back
    # to the best candidate when the draft is not a phrase of the window the rules accept.
    # A generator without span_logprobs (a model server) always generates.
    reader: str = "generate"
    span_score: str = "mean"  # a candidate's score: "mean" or "sum" of its tokens' log-probs
    span_min_score: float = float("-inf")  # a best candidate scoring less is no draft at all

    def validate(self) -> None:
        check_choice("generation.reader", self.reader, READERS)
        check_choice("generation.span_score", self.span_score, SPAN_SCORES)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, else os.cpu_count())."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def llama_threads(settings: GenerationSettings, cores: int | None = None) -> tuple[int, int]:
    """(n_threads, n_threads_batch) for llama.cpp: the settings' own, else half the cores
    for each, leaving the other half to the embedder, retrieval and the other questions.

    llama.cpp's threads wait for each other at every step by spinning, so a thread that
    loses its core stalls the rest. On 2 cores, reading prompts on 2 threads (llama-cpp-
    python's default) answered 12 realdocs questions one by one 9x slower than on 1 while
    the machine was busy; with 1 thread each, 8 users together kept the pace of one
    (docs/performance.md, benchmarks/bench_concurrency.py).

    >>> llama_threads(GenerationSettings(), cores=2), llama_threads(GenerationSettings(), cores=8)
    ((1, 1), (4, 4))
    >>> llama_threads(GenerationSettings(n_threads=3), cores=8)
    (3, 4)
    """
    half = max(1, (cores or available_cores()) // 2)
    return settings.n_threads or half, settings.n_threads_batch or half


@dataclass(frozen=True)
class GroundingSettings:
    # A claim counts as supported when this share of its content words appears in one
    # sentence of a retrieved passage; the model's own knowledge ("Astana") scores 0.
    min_support: float = 0.75
    # ... and when that sentence, with its neighbours, holds this share of the question's
    # content words: a true fact from an unrelated sentence is not an answer. 0.3 was the
    # best trade-off on a SQuAD 2.0 tuning sample kept apart from the benchmark's questions.
    min_relevance: float = 0.3
    # Before the model is asked: abstain when no sentence of the retrieved passages has at
    # least this cosine similarity with the question (answerability.py). Fitted on the SQuAD
    # benchmark's dev split: the highest recall on unanswerable questions at which 70% of
    # abstentions were right there (benchmarks/bench_quality.py; docs/quality.md).
    min_answerability: float = 0.50
    # Evidence (evidence.py): a sentence's score mixes the IDF-weighted share of the
    # question's terms it carries (weight below) with its cosine to the question. Below
    # min_evidence no sentence answers the question's terms, and the assistant abstains;
    # a short answer also needs its own sentence to carry min_short_coverage of the terms.
    # Tuned on the dev splits of the SQuAD and real-documents sets (docs/quality.md).
    coverage_weight: float = 0.75
    rank_weight: float = 0.1  # plus this / (1 + r) for a sentence of the r-th retrieved passage
    # the share of the coverage that the sentence before adds which counts for a sentence
    context_weight: float = 0.5
    # ... and the share that the head of the manual option entry it sits in adds
    # (manual_entries.py: "The default is 16 rounds." in the entry of "-a rounds ... KDF")
    entry_weight: float = 0.5
    min_evidence: float = 0.65
    # a reply of evidence alone (no short answer passed) needs a sentence scoring this much
    min_evidence_only: float = 0.0
    min_short_coverage: float = 0.5
    # ... and no less than the best sentence's share minus this margin
    short_coverage_margin: float = 0.15
    # A short answer must sit within this many words of the question's terms in its sentence.
    max_answer_gap: int = 12
    # Summaries quote sentences scoring above this share of min_evidence: each carries
    # some of the request's points, none all of them.
    summary_share: float = 0.5


@dataclass(frozen=True)
class ModelSettings:
    # GGUF to answer with; None: a GGUF the user dropped into models/, else the default
    # Gemma 3 270M assembled from its registry package.
    gguf_path: str | None = None
    # sentence-transformers model folder; None: all-MiniLM-L6-v2 from its registry package.
    embedding_path: str | None = None
    # What runs the embedding model: one of EMBEDDING_BACKENDS; None: RAG_EMBEDDING_BACKEND,
    # else "auto". ONNX exports are cached in models/embeddings/.
    embedding_backend: str | None = None
    models_dir: str | None = None  # None: the checkout's models/ folder, else ./models
    # An OpenAI-compatible server to answer with instead of a GGUF (docs/model-servers.md):
    # its base URL, usually ending in /v1. None: llama.cpp in this process. Retrieval, the
    # gates and the checks stay local either way; only the prompts go to the server.
    llm_base_url: str | None = None
    llm_model: str | None = None  # the server's model name; None: the first it lists
    llm_api_key: str | None = field(default=None, repr=False)  # sent as a bearer token
    llm_api: str | None = None  # one of LLM_APIS; None: "auto"
    # A server that is down fails within the connect timeout; one that hangs, once it has
    # sent nothing for the read timeout (counted between streamed pieces, not in total,
    # so a long answer still arrives). 120 s covers a slow CPU server reading a long prompt.
    llm_connect_timeout: float = 5.0
    llm_read_timeout: float = 120.0

    def validate(self) -> None:
        if self.embedding_backend is not None:
            check_choice("embedding backend", self.embedding_backend, EMBEDDING_BACKENDS)
        if self.llm_api is not None:
            check_choice("model server API", self.llm_api, LLM_APIS)
        if self.llm_base_url is not None and not self.llm_base_url.startswith(("http://", "https://")):
            raise ConfigError(f"model server URL {self.llm_base_url!r} must start with http:// or https://, "
                              f"like http://127.0.0.1:8000/v1 (--llm-base-url or {LLM_BASE_URL_ENV_VAR})")
        if self.llm_connect_timeout <= 0 or self.llm_read_timeout <= 0:
            raise ConfigError(f"models.llm_connect_timeout={self.llm_connect_timeout} and llm_read_timeout="
                              f"{self.llm_read_timeout} must be above 0 seconds")

    def with_env(self) -> "ModelSettings":
        """Fill what is left unset from RAG_MODEL, RAG_EMBEDDING_MODEL, RAG_EMBEDDING_BACKEND
        and the model server's RAG_LLM_BASE_URL, RAG_LLM_MODEL, RAG_LLM_API_KEY, RAG_LLM_API."""
        def env(value, name):
            return value or os.environ.get(name) or None

        filled = replace(
            self,
            gguf_path=env(self.gguf_path, MODEL_ENV_VAR),
            embedding_path=env(self.embedding_path, EMBEDDING_ENV_VAR),
            embedding_backend=env(self.embedding_backend, EMBEDDING_BACKEND_ENV_VAR),
            llm_base_url=env(self.llm_base_url, LLM_BASE_URL_ENV_VAR),
            llm_model=env(self.llm_model, LLM_MODEL_ENV_VAR),
            llm_api_key=env(self.llm_api_key, LLM_API_KEY_ENV_VAR),
            llm_api=env(self.llm_api, LLM_API_ENV_VAR),
        )
        filled.validate()
        return filled


@dataclass(frozen=True)
class Settings:
    loading: LoadingSettings = field(default_factory=LoadingSettings)
    chunking: ChunkingSettings = field(default_factory=ChunkingSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    grounding: GroundingSettings = field(default_factory=GroundingSettings)
    models: ModelSettings = field(default_factory=ModelSettings)

    def validate(self) -> "Settings":
        self.chunking.validate()
        self.retrieval.validate()
        self.generation.validate()
        self.models.validate()
        return self

    def with_model(self, gguf_path: str | None) -> "Settings":
        """These settings with `gguf_path` (if given) and environment variables applied."""
        models = replace(self.models, gguf_path=gguf_path) if gguf_path else self.models
        return replace(self, models=models.with_env())

    def with_top_k(self, top_k: int | None) -> "Settings":
        if top_k is None:
            return self
        return replace(self, retrieval=replace(self.retrieval, top_k=top_k)).validate()

    def with_mode(self, mode: str | None) -> "Settings":
        if mode is None:
            return self
        return replace(self, retrieval=replace(self.retrieval, mode=mode)).validate()

    def to_dict(self) -> dict:
        return asdict(self)
