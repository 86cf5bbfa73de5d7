"""Pure: a question and its retrieved passages -> the prompt for the model.

Two renderings of the same content: `completion` for base models (no chat template), and
`messages` for models that ship a chat template. The passages come first and the question
last, so llama.cpp can reuse its cache for the shared prefix when questions repeat passages.
"""
from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Prompt:
    completion: str  # for plain completion: ends with "Answer:"
    messages: tuple[dict, ...] = ()  # for a chat template: system + user
    stop: tuple[str, ...] = ("\n", "Question:", "</s>", "<end_of_turn>")
    passages: int = 0  # how many hits made it into the prompt
    avoid: tuple[str, ...] = ()  # words the answer must not start with (a rejected draft's)
    max_tokens: int | None = None  # None: generation.max_tokens


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
    passages = []
    used = 0
    for hit in hits:
        text = format_passage(len(passages) + 1, hit)
        if passages and used + len(text) > max_passage_chars:
            break
        passages.append(text)
        used += len(text)
    context = "\n\n".join(passages)
    question = " ".join(question.split())
    completion = f"{INSTRUCTIONS}\n\n{context}\n\nQuestion: {question}\nAnswer:"
    messages = (
        {"role": "system", "content": SYSTEM_MESSAGE},
        {"role": "user", "content": f"Passages:\n\n{context}\n\nQuestion: {question}"},
    )
    return Prompt(completion=completion, messages=messages, passages=len(passages))


def build_reading_prompt(question: str, passage: str, avoid: tuple[str, ...] = (),
                         max_tokens: int | None = None) -> Prompt:
    """A few-shot completion prompt about one short passage, for base models.

    >>> build_reading_prompt("Who?", "Ana met Bo.").completion.endswith("Passage: Ana met Bo.\\nQuestion: Who?\\nAnswer:")
    True
    """
    passage = " ".join(passage.split())
    question = " ".join(question.split())
    return Prompt(
        completion=f"{READING_EXAMPLES}Passage: {passage}\nQuestion: {question}\nAnswer:",
        passages=1,
        avoid=avoid,
        max_tokens=max_tokens,
    )


def passage_budget(n_ctx: int, max_tokens: int, question_chars: int) -> int:
    """Characters of passages that fit the context, at a cautious 3 characters per token."""
    overhead_tokens = 160 + question_chars // 3  # instructions, labels, the question
    return max(500, (n_ctx - max_tokens - overhead_tokens) * 3)
