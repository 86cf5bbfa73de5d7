"""Pure: a question and its retrieved passages -> the prompt for the model.

Two renderings of the same content: `completion` for base models (no chat template), and
`messages` for models that ship a chat template. The passages come first and the question
last, so llama.cpp can reuse its cache for the shared prefix when questions repeat passages.

A prompt keeps its parts (question, passage labels and texts), so `fit_prompt` can cut the
passages to the model's context, sentence by sentence and then by tokens, given a function
that counts a prompt's tokens: a prompt is never refused for its length.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from .chunking import split_sentences
from .types import Hit

NOT_FOUND = "NOT FOUND"

INSTRUCTIONS = (
    "Answer the question using only the passages below. Copy names, dates and numbers "
    f"exactly as the passages write them. If the passages do not answer it, reply {NOT_FOUND}."
)

SYSTEM_MESSAGE = (
    "You answer questions about the user's documents using only the numbered passages "
    "given with each question. Answer in one or two short sentences, copying names, dates "
    "and numbers exactly as the passages write them, and put the passage number in "
    f"brackets after each claim, like [1]. If the passages do not contain the answer, reply "
    f"exactly {NOT_FOUND} and nothing else. Never use knowledge from outside the passages."
)


# For base models: worked examples teach the format (a short phrase copied from the
# passage). They are about unrelated made-up facts, so they can't leak into answers, and
# they never change, so llama.cpp reuses their cached state from one question to the next.
READING_EXAMPLES = """Answer each question with a short phrase copied from its passage.

Passage: In 2019 the government of Peru opened a new port at Iquitos. The ceremony was led by Ana Torres, the transport minister.
Question: Who led the opening of the port at Iquitos?
Answer: Ana Torres

Passage: The talks brought together Carlos Ruiz, the trade minister of Peru, and Mei Lin, the regional director of the World Food Programme. They met in Lima.
Question: Who did Carlos Ruiz meet?
Answer: Mei Lin
Question: What is Mei Lin's position at the World Food Programme?
Answer: the regional director
Question: Where did the talks take place?
Answer: Lima

"""


LONG_WORD = 200  # characters without a space: no word, but a blob that fit_prompt drops first
_LONG_WORD = re.compile(r"(\S{%d,}\s*)" % LONG_WORD)


@dataclass(frozen=True)
class Prompt:
    completion: str  # for plain completion: ends with "Answer:"
    messages: tuple[dict, ...] = ()  # for a chat template: system + user
    stop: tuple[str, ...] = ("\n", "Question:", "</s>", "<end_of_turn>")
    passages: int = 0  # how many hits made it into the prompt
    avoid: tuple[str, ...] = ()  # words the answer must not start with (a rejected draft's)
    max_tokens: int | None = None  # None: generation.max_tokens
    # The parts it was rendered from, which fit_prompt cuts and renders again:
    question: str = ""
    labels: tuple[str, ...] = ()  # "[1] a.txt (dated ...)" for each passage; none for reading
    texts: tuple[str, ...] = ()  # each passage's text
    reading: bool = False  # the few-shot prompt about one passage (build_reading_prompt)
    # The leading text every prompt of this kind shares (the reading examples): the only
    # part whose evaluated state the model may keep from one prompt to the next.
    fixed: str = ""


def format_passage(number: int, hit: Hit) -> str:
    """
    >>> from rag.types import Chunk, Hit
    >>> hit = Hit(Chunk(0, "a.txt", "Rain fell.", 0, 10, 1, 1, "2024-01-02"), 0.5)
    >>> format_passage(1, hit)
    '[1] a.txt (dated 2024-01-02)\\nRain fell.'
    """
    chunk = hit.chunk
    dated = f" (dated {chunk.date})" if chunk.date else ""
    return f"[{number}] {chunk.source}{dated}\n{chunk.text.strip()}"


def build_prompt(question: str, hits: list[Hit], max_passage_chars: int = 6000) -> Prompt:
    """Put as many hits as fit in `max_passage_chars` (best first) before the question.

    >>> from rag.types import Chunk, Hit
    >>> hit = Hit(Chunk(0, "a.txt", "Rain fell.", 0, 10, 1, 1), 0.5)
    >>> print(build_prompt("What fell?", [hit]).completion.split("\\n\\n", 1)[1])
    [1] a.txt
    Rain fell.
    <BLANKLINE>
    Question: What fell?
    Answer:
    """
    labels, texts = [], []
    used = 0
    for hit in hits:
        text = format_passage(len(labels) + 1, hit)
        if labels and used + len(text) > max_passage_chars:
            break
        label, _, body = text.partition("\n")
        labels.append(label)
        texts.append(body)
        used += len(text)
    prompt = Prompt(completion="", passages=len(labels), question=" ".join(question.split()))
    return _render(prompt, tuple(labels), tuple(texts))


def build_reading_prompt(question: str, passage: str, avoid: tuple[str, ...] = (),
                         max_tokens: int | None = None) -> Prompt:
    """A few-shot completion prompt about one short passage, for base models.

    >>> build_reading_prompt("Who?", "Ana met Bo.").completion.endswith("Passage: Ana met Bo.\\nQuestion: Who?\\nAnswer:")
    True
    """
    prompt = Prompt(completion="", passages=1, avoid=avoid, max_tokens=max_tokens,
                    question=" ".join(question.split()), reading=True, fixed=READING_EXAMPLES)
    return _render(prompt, (), (" ".join(passage.split()),))


def _render(prompt: Prompt, labels: tuple[str, ...], texts: tuple[str, ...]) -> Prompt:
    """The prompt with these passages, its completion and messages written out."""
    question = prompt.question
    if prompt.reading:
        passage = " ".join(texts)
        completion = f"{READING_EXAMPLES}Passage: {passage}\nQuestion: {question}\nAnswer:"
        return replace(prompt, completion=completion, labels=labels, texts=texts)
    context = "\n\n".join(f"{label}\n{text}" for label, text in zip(labels, texts))
    messages = (
        {"role": "system", "content": SYSTEM_MESSAGE},
        {"role": "user", "content": f"Passages:\n\n{context}\n\nQuestion: {question}"},
    )
    completion = f"{INSTRUCTIONS}\n\n{context}\n\nQuestion: {question}\nAnswer:"
    return replace(prompt, completion=completion, messages=messages, labels=labels, texts=texts)


def fit_prompt(prompt: Prompt, budget: int, count_tokens: Callable[[Prompt], int]) -> Prompt:
    """The prompt with its passages cut until `count_tokens(prompt) <= budget`.

    Whole sentences go first: any sentence too long to fit even alone, then sentences from
    the end of the last passage (passages come best first) or, in a reading prompt, from
    the start (the sentence asked about is the last). A passage left with no sentence is
    dropped with its label (the others keep their numbers). If one sentence is still too
    long, it is cut to the characters whose tokens fit. If not even the question fits, the
    passages are left empty: the model then answers from nothing, and says so.

    >>> words = lambda p: len(p.completion.split())
    >>> prompt = build_reading_prompt("Who?", "Bo is tall. Ana met Bo.")
    >>> fit_prompt(prompt, words(prompt), words) is prompt
    True
    >>> fit_prompt(prompt, words(prompt) - 3, words).texts
    ('Ana met Bo.',)
    >>> fit_prompt(prompt, words(prompt) - 4, words).texts
    ('Ana met',)
    """
    if count_tokens(prompt) <= budget or not prompt.texts:
        return prompt
    # Each sentence with the white space after it, so kept ones join up as they were.
    sentences = [(p, _sentences(text)) for p, text in enumerate(prompt.texts)]
    order = [(p, i) for p, parts in sentences for i in range(len(parts))]
    if not prompt.reading:
        order.reverse()

    def keep(dropped: set, cut: tuple[tuple[int, int], int] | None = None) -> Prompt:
        labels, texts = [], []
        for p, parts in sentences:
            text = "".join(part[:cut[1]] if cut and (p, i) == cut[0] else part
                           for i, part in enumerate(parts) if (p, i) not in dropped).strip()
            if text:
                labels.append(prompt.labels[p] if p < len(prompt.labels) else "")
                texts.append(text)
        return _render(prompt, tuple(labels) if prompt.labels else (), tuple(texts))

    def fits(candidate: Prompt) -> bool:
        return count_tokens(candidate) <= budget

    alone = [key for key in order if not fits(keep(set(order) - {key}))]
    order = alone + [key for key in order if key not in alone]
    # The fewest sentences to drop, in that order (fewer dropped never fits better).
    low, high = 0, len(order)
    while low < high:
        middle = (low + high) // 2
        if fits(keep(set(order[:middle]))):
            high = middle
        else:
            low = middle + 1
    if low < len(order) or not fits(keep(set(order[:-1]), (order[-1], 0))):
        return keep(set(order[:low]))
    # Every sentence had to go: keep as much of the last one as fits, cut by characters.
    last = order[-1]
    length = len(dict(sentences)[last[0]][last[1]])
    low, high = 0, length
    while low < high:
        middle = (low + high + 1) // 2
        if fits(keep(set(order[:-1]), (last, middle))):
            low = middle
        else:
            high = middle - 1
    return keep(set(order[:-1]), (last, low))


def _sentences(text: str) -> list[str]:
    """The text in pieces that fit_prompt drops whole: its sentences, each with the white
    space after it, and any run of LONG_WORD or more characters without a space on its own
    (an encoded blob or a URL: what makes a passage too long, beside words worth keeping).

    >>> [piece[:12] for piece in _sentences("One here.  Two " + "x" * 200 + " there.")]
    ['One here.  ', 'Two ', 'xxxxxxxxxxxx', 'there.']
    """
    starts = [a for a, _ in split_sentences(text)] or [0]
    starts[0] = 0
    pieces = []
    for a, b in zip(starts, [*starts[1:], len(text)]):
        pieces.extend(part for part in _LONG_WORD.split(text[a:b]) if part)
    return pieces


# A cautious estimate of characters per token, where a prompt is sized without the model's
# tokenizer (English runs near 4 a token)
CHARS_PER_TOKEN = 3


def passage_budget(n_ctx: int, max_tokens: int, question_chars: int) -> int:
    """Characters of passages that fit the context, at a cautious 3 characters per token."""
    overhead_tokens = 160 + question_chars // CHARS_PER_TOKEN  # instructions, labels, the question
    return max(500, (n_ctx - max_tokens - overhead_tokens) * CHARS_PER_TOKEN)
