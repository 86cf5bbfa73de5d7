"""How likely a llama.cpp model finds some tokens after what its cache holds.

Shared by the span-ranking reader (LlamaGenerator.span_logprobs: each candidate answer
after the reading prompt) and benchmarks/evidence_ranks.py (the question after a sentence).
One decode per continuation, with logits only for the positions that predict it: the
output layer over Gemma's 262k-token vocabulary is most of the cost of a short one.

The model's cache keeps its `n_tokens` (what comes after is overwritten by the next
evaluation), so continuations can be scored one after another on the same prompt.
"""
from __future__ import annotations

from collections.abc import Sequence


def log_softmax_rows(logits):
    """Each row's log-probabilities (numerically stable).

    >>> import numpy as np
    >>> [round(float(x), 3) for x in log_softmax_rows(np.array([[0.0, 0.0]]))[0]]
    [-0.693, -0.693]
    """
    import numpy as np

    logits = logits.astype(np.float64)
    top = logits.max(axis=1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))


def continuation_logprobs(llm, context: Sequence[int], continuation: Sequence[int],
                          ends: Sequence[int] = ()) -> list[float]:
    """log P of each continuation token after the cache's `llm.n_tokens` tokens and
    `context` (at least one token: the last one predicts the continuation's first), and,
    when `ends` are given, one more: log P that any of them comes next (the answer stops).

    `context` and `continuation` are decoded together at position llm.n_tokens;
    llm.n_tokens is left as it was.
    """
    import numpy as np

    if not context:
        raise ValueError("continuation_logprobs needs at least one context token")
    tokens = list(context) + list(continuation)
    n_past = llm.n_tokens
    first = len(context) - 1  # the position whose logits predict the continuation's first token
    last = len(tokens) - 1 if ends else len(tokens) - 2
    llm._ctx.kv_cache_seq_rm(-1, n_past, -1)  # what a previous continuation left there
    batch = llm._batch
    batch.set_batch(batch=tokens, n_past=n_past, logits_all=False)
    for i in range(len(tokens)):
        batch.batch.logits[i] = first <= i <= last
    llm._ctx.decode(batch)
    rows, vocab = last - first + 1, llm.n_vocab()
    logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(rows * vocab,)).reshape(rows, vocab)
    logprobs = log_softmax_rows(logits)
    scores = [float(logprobs[i, token]) for i, token in enumerate(continuation)]
    if ends:
        row = logprobs[-1, list(ends)]
        scores.append(float(np.logaddexp.reduce(row)))
    return scores


def newline_tokens(llm, most: int = 8) -> list[int]:
    """The tokens that are one or more newlines and nothing else: where an answer stops."""
    found = []
    for count in range(1, most + 1):
        tokens = llm.tokenize(("\n" * count).encode(), add_bos=False, special=False)
        if len(tokens) == 1 and tokens[0] not in found:
            found.append(tokens[0])
    return found
