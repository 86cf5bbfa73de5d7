"""Pure: OpenAI chat-completion requests and responses <-> our questions and Answers.

`rag serve` (api_server.py) speaks the OpenAI API so that any OpenAI client works
unchanged. This module holds the shapes only: reading a request's messages into a question
and the earlier turns, and writing an Answer as a `chat.completion` object or as the
`chat.completion.chunk` events of a stream. No HTTP and no models here.

The verified citations travel in two extension fields that OpenAI clients keep and ignore:
`citations` (source, page, start_line, end_line, quote, score, section) and `rag` (the
whole `rag ask --json` object: kind, short_answer, evidence, reason, closest passages; and
`question`, the question as searched: a follow-up made to stand alone).
In a stream they ride on the final chunk, the one whose `finish_reason` is "stop".
"""
from __future__ import annotations

import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from .chat_view import marked_quote
from .pipeline import ABSTAIN_TEXT
from .types import SHORT, SUMMARY, Answer, place_label


class RequestError(ValueError):
    """A request the API refuses (HTTP 400), with the `param` it is about."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of the conversation: what the user asked, what we replied."""

    question: str
    reply: str


def message_text(content, where: str) -> str:
    """The text of a message's `content`: a string, or OpenAI's list of content parts
    (only "text" parts are read; an image part is refused by name).

    >>> message_text("Hi", "messages[0]")
    'Hi'
    >>> message_text([{"type": "text", "text": "Who"}, {"type": "text", "text": "is it?"}], "m")
    'Who\\nis it?'
    >>> message_text([{"type": "image_url", "image_url": {}}], "messages[1]")
    Traceback (most recent call last):
    ...
    rag.openai_shapes.RequestError: messages[1] has a 'image_url' part; only text is read (send the question as text)
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind != "text" or not isinstance(part.get("text"), str):
                raise RequestError(f"{where} has a {kind!r} part; only text is read (send the question as text)",
                                   "messages")
            texts.append(part["text"])
        return "\n".join(texts)
    raise RequestError(f"{where}.content must be text or a list of text parts, not {type(content).__name__}",
                       "messages")


def read_messages(messages) -> tuple[str, list[Turn]]:
    """(question, earlier turns): the last user message, and each earlier user message
    paired with the assistant reply that followed it. System messages are ignored: the
    assistant answers from the documents, whatever a client's system prompt asks.

    >>> read_messages([{"role": "system", "content": "Be brief."},
    ...                {"role": "user", "content": "Who is the minister?"},
    ...                {"role": "assistant", "content": "Rashid Meredov [1]"},
    ...                {"role": "user", "content": "and who did he meet?"}])
    ('and who did he meet?', [Turn(question='Who is the minister?', reply='Rashid Meredov [1]')])
    >>> read_messages([{"role": "assistant", "content": "Hello"}])
    Traceback (most recent call last):
    ...
    rag.openai_shapes.RequestError: the last message must be the user's question (role "user"), not "assistant"
    """
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages must be a non-empty list of {role, content} objects", "messages")
    parsed = []
    for number, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise RequestError(f"messages[{number}] must be an object with a role and content", "messages")
        parsed.append((message["role"], message_text(message.get("content"), f"messages[{number}]")))
    role, question = parsed[-1]
    if role != "user":
        raise RequestError(f'the last message must be the user\'s question (role "user"), not "{role}"', "messages")
    turns, asked = [], None
    for role, text in parsed[:-1]:
        if role == "user":
            asked = text
        elif role == "assistant" and asked is not None:
            turns.append(Turn(asked, text))
            asked = None
    return question, turns


_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|])")
_ANSWER_LINE = re.compile(r"^Answer: \*\*(.+?)\*\* \[\d+\]$", re.M)
NO_SHORT_NOTE = "(No short answer passed our checks; the quotes are what the documents say.)"
SUMMARY_NOTE = "(The key sentences, in the order the document gives them.)"


def markdown_text(text: str) -> str:
    r"""Document text shown as itself in markdown: white space folded, markup escaped.

    >>> markdown_text("a *b*  [1]\n_c_")
    'a \\*b\\* \\[1\\] \\_c\\_'
    """
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def reply_markdown(answer: Answer) -> str:
    """The reply as a chat client shows it (`message.content`): evidence first, each quote
    with its [n], the short answer in bold inside it and then on its own line, and the
    places of the [n] last. An abstention is our sentence and why.

    >>> from rag.types import Citation, Evidence
    >>> e = Evidence("a.txt", 3, 3, "The capital is Astana.", 0.9, span=(15, 21))
    >>> c = Citation("a.txt", 3, 3, "The capital is Astana.", 0.9)
    >>> print(reply_markdown(Answer("Capital?", "Astana", False, (c,), evidence=(e,), short_answer="Astana", kind="short")))
    > The capital is **Astana**. [1]
    <BLANKLINE>
    Answer: **Astana** [1]
    <BLANKLINE>
    [1] a.txt:3
    """
    if answer.abstained or not answer.evidence:
        why = f" ({answer.reason})" if answer.reason and answer.abstained else ""
        return answer.text + why
    quotes = []
    for number, e in enumerate(answer.evidence, 1):
        quote = marked_quote(e, markdown_text, lambda span: f"**{span}**")
        quotes.append(f"> {quote.strip()} [{number}]")
    if answer.kind == SHORT and answer.short_answer:
        verdict = f"Answer: **{markdown_text(answer.short_answer)}** [1]"
    else:
        verdict = SUMMARY_NOTE if answer.kind == SUMMARY else NO_SHORT_NOTE
    places = "  \n".join(f"[{n}] {place_label(e.source, e.page, e.start_line, e.end_line)}"
                         for n, e in enumerate(answer.evidence, 1))
    return "\n\n".join(["\n>\n".join(quotes), verdict, places])


class RecentAnswers:
    """The last `size` Answers served, found again by (question asked, reply text).

    A client sends the conversation back with each request, but only as text. When it is
    one of ours, the follow-up rewrite gets the whole Answer (its short answer and cited
    files); otherwise a plain Answer is rebuilt from the text. Holds answers, not chats:
    nothing is kept per user, and the oldest leave first.
    """

    def __init__(self, size: int = 512):
        self.size = size
        self._answers: OrderedDict[tuple[str, str], Answer] = OrderedDict()

    def remember(self, asked: str, answer: Answer, reply: str) -> None:
        """Keep `answer`, served as `reply` (its reply_markdown) to the question `asked`."""
        key = (asked.strip(), reply.strip())
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)

    def history(self, turns: list[Turn]) -> list[Answer]:
        """The Answers of the earlier turns, known or rebuilt from their text.

        >>> old = RecentAnswers().history([Turn("Who is it?", "> Ana met **Bo**. [1]\\n\\nAnswer: **Bo** [1]")])
        >>> old[0].text, old[0].short_answer, old[0].abstained
        ('Bo', 'Bo', False)
        """
        answers = []
        for turn in turns:
            known = self._answers.get((turn.question.strip(), turn.reply.strip()))
            if known is None:
                short = _ANSWER_LINE.search(turn.reply)
                text = short.group(1).replace("\\", "") if short else turn.reply.strip()
                abstained = not text or text.startswith(ABSTAIN_TEXT)
                known = Answer(turn.question, text, abstained, short_answer=short and text, kind=SHORT if short else "")
            answers.append(known)
        return answers


def completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def extension(answer: Answer) -> dict:
    """The extension fields: `citations` and `rag` (see the module docstring)."""
    return {"citations": [c.to_dict() for c in answer.citations],
            "rag": {"question": answer.question, **answer.to_dict()}}


def completion(answer: Answer, reply: str, model: str) -> dict:
    """The `chat.completion` object for a finished Answer, `reply` its reply_markdown."""
    return {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                     "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **extension(answer),
    }


def chunk(ident: str, model: str, created: int, delta: dict, finish_reason: str | None = None,
          extra: dict | None = None) -> dict:
    """One `chat.completion.chunk` event of a stream."""
    return {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
            **(extra or {})}


def content_pieces(text: str) -> list[str]:
    """The verified reply cut into word-sized pieces for a stream; joined, they give it back.

    >>> content_pieces("Rashid Meredov [1]")
    ['Rashid ', 'Meredov ', '[1]']
    >>> "".join(content_pieces("a  b\\nc")) == "a  b\\nc"
    True
    """
    return re.findall(r"\S+\s*|\s+", text)
