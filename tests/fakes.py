"""Small deterministic stand-ins for the two models, so unit tests run in milliseconds.

HashingEmbedder: bag of words hashed into 64 dimensions; texts sharing words are close.
ScriptedGenerator: answers from a script (question substring -> draft, or a list of drafts
of which it gives the first that does not start with a word the prompt says to avoid) and
records its prompts.
SpanScoringGenerator: a ScriptedGenerator that also scores candidate spans from a script
(span -> token log-probs), recording each prompt and span list it was asked about.
ScriptedAssistant: what `rag.evaluation.evaluate` needs of an Assistant (ask, search,
settings.retrieval.top_k), answering and retrieving from dicts, recording its calls.
CachingLlama: llama_cpp.Llama's prompt cache (the longest prefix shared with the last
prompt and its answer is not evaluated again), with words as tokens; its answer names the
evaluation batches its state came from, as rounding makes a real model's answer do.
"""
from __future__ import annotations

import hashlib
import re
from types import SimpleNamespace

import numpy as np

from rag.types import Answer, Chunk, Hit


class HashingEmbedder:
    def __init__(self, dimension: int = 64, model_id: str = "fake/hashing-64"):
        self.dimension = dimension
        self.model_id = model_id
        self.calls: list[list[str]] = []  # every batch it was asked to embed
        self.batch_invariant = True  # each vector comes from its own text alone

    @property
    def embedded_texts(self) -> list[str]:
        return [t for batch in self.calls for t in batch]

    def embed(self, texts):
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension
                out[row, bucket] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


class ScriptedGenerator:
    """`uses_chat_template=False` takes the base-model path (one sentence window a prompt)."""

    model_id = "fake/scripted"

    def __init__(self, script: dict[str, str], default: str = "NOT FOUND", uses_chat_template: bool = False):
        self.script = script
        self.default = default
        self.uses_chat_template = uses_chat_template
        self.prompts = []

    def generate(self, prompt):
        self.prompts.append(prompt)
        question = prompt.completion.rsplit("Question:", 1)[1]
        draft = next((a for q, a in self.script.items() if q.lower() in question.lower()), self.default)
        if isinstance(draft, list):
            draft = next(d for d in draft if d.split()[0] not in prompt.avoid)
        for word in re.findall(r"\S+\s*", draft):  # stream it word by word, like a model
            yield word


class SpanScoringGenerator(ScriptedGenerator):
    """Scores each span by `scores[span]` (its tokens' log-probs), else `unknown`."""

    def __init__(self, scores: dict[str, list[float]], script: dict | None = None, unknown: float = -9.0):
        super().__init__(script or {})
        self.scores = scores
        self.unknown = unknown
        self.scored: list[tuple[object, list[str]]] = []  # (prompt, spans) per call

    def span_logprobs(self, prompt, spans):
        self.scored.append((prompt, list(spans)))
        return [list(self.scores.get(span, [self.unknown])) for span in spans]


class ScriptedAssistant:
    """Answers each question with the Answer scripted for it (an abstention if none) and
    retrieves its scripted passages, best first."""

    def __init__(self, answers: dict[str, Answer], passages: dict[str, list[str]] | None = None, top_k: int = 4):
        self.answers = answers
        self.passages = passages or {}
        self.settings = SimpleNamespace(retrieval=SimpleNamespace(top_k=top_k, mode="hybrid"))
        self.asked: list[str] = []
        self.searched: list[tuple[str, int | None]] = []

    def ask(self, question: str) -> Answer:
        self.asked.append(question)
        return self.answers.get(question) or Answer(question, "I could not find it.", abstained=True)

    def search(self, question: str, k: int | None = None) -> list[Hit]:
        self.searched.append((question, k))
        texts = self.passages.get(question, [])[:k]
        return [Hit(Chunk(i, "doc.txt", text, 0, len(text), 1, 1), 1.0 - i / 100) for i, text in enumerate(texts)]


class CachingLlama:
    """Stands in for llama_cpp.Llama where its prompt cache matters (reset, eval, n_tokens)."""

    metadata: dict = {}

    def __init__(self):
        self.n_tokens = 0
        self.input_ids: list[int] = []
        self._made_by: list[tuple[int, int]] = []  # per cached position: the batch that evaluated it

    @property
    def _input_ids(self) -> list[int]:
        return self.input_ids[: self.n_tokens]

    def tokenize(self, data: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        words = re.findall(r"\S+\s*", data.decode("utf-8"))
        return [1] * add_bos + [int(hashlib.md5(w.encode()).hexdigest()[:6], 16) for w in words]

    def reset(self) -> None:
        self.n_tokens = 0

    def eval(self, tokens) -> None:
        start = self.n_tokens
        del self.input_ids[start:], self._made_by[start:]
        self.input_ids += list(tokens)
        self._made_by += [(start, start + len(tokens))] * len(tokens)
        self.n_tokens = len(self.input_ids)

    def create_completion(self, prompt: str, max_tokens=16, **_options):
        tokens = self.tokenize(prompt.encode("utf-8"))
        cached = 0  # llama_cpp.Llama.generate: reuse the longest cached prefix, minus one
        for a, b in zip(self._input_ids, tokens):  # token if the whole prompt is cached
            if a != b:
                break
            cached += 1
        self.n_tokens = min(cached, len(tokens) - 1)
        self.eval(tokens[self.n_tokens:])
        answer = f"made by {sorted(set(self._made_by))}"
        self.eval(self.tokenize(answer.encode(), add_bos=False))  # the answer stays cached too
        yield {"choices": [{"text": answer}]}
