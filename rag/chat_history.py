"""Pure: the chats a browser keeps <-> the turns and Answers the chat page works with.

The chat page keeps each person's conversations in their own browser (localStorage,
through Gradio's BrowserState); the server keeps none. This module says what is stored,
as plain JSON: per chat its id, collection, title (the first question) and when it was
last used, and per turn the question as typed and the Answer fields the page needs to
draw the turn and its sources again and to rewrite a follow-up (question, text, kind,
short_answer, abstained, reason, evidence, citations, the closest passages of a "not
found" and the date of each cited file). It caps what is kept (chats, turns a chat,
characters in all) so the store stays far below localStorage's few megabytes, and it
reads a store back dropping whatever does not parse (an older format, a hand edit), never
failing. It does not read files, render HTML or talk to Gradio.

A restored Answer has no draft, timings or retrieved passages beyond the closest ones of
a "not found", whose text is cut to CLOSEST_CHARS characters.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from .chat_view import clip
from .types import ABSTAINED, EVIDENCE, SHORT, SUMMARY, Answer, Chunk, Citation, Evidence, Hit

FORMAT = 1  # stored as "format"; a store of another format is read as empty
MAX_CHATS = 20  # the most recent chats kept
MAX_TURNS = 30  # questions kept per chat (the oldest go first; the title stays)
MAX_STORE_CHARS = 500_000  # JSON characters in all; encrypted by Gradio it is ~1.4x this
TITLE_CHARS = 80
CLOSEST_KEPT = 3  # closest passages kept for a "not found", as the page shows them
CLOSEST_CHARS = 400  # as much as the sources panel shows of one
_KINDS = {"", SHORT, EVIDENCE, SUMMARY, ABSTAINED}


@dataclass(frozen=True)
class Turn:
    """One question of a chat: as typed, its Answer, and the dates of the files it cites."""

    asked: str
    answer: Answer
    dates: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SavedChat:
    id: str
    collection: str
    title: str
    updated: float  # seconds since the epoch, when its last question was answered
    turns: tuple[Turn, ...]


def empty_store() -> dict:
    return {"format": FORMAT, "chats": []}


def new_turn(asked: str, answer: Answer) -> Turn:
    """A turn with the dates its sources panel shows, taken from the answer's passages."""
    return Turn(asked, answer, {h.chunk.source: h.chunk.date for h in answer.hits if h.chunk.date})


def title_of(question: str) -> str:
    """A chat's title: its first question, on one line, cut at a word near TITLE_CHARS.

    >>> title_of("  Who is  the Minister?\\n")
    'Who is the Minister?'
    >>> long = title_of("word " * 30)
    >>> len(long), long[-10:]
    (75, 'word word…')
    """
    return clip(question, TITLE_CHARS)


def answer_record(answer: Answer) -> dict:
    """What is stored of an Answer (JSON values only).

    >>> e = Evidence("a.txt", 2, 2, "Ana led.", 0.8, 10, 18, span=(0, 3))
    >>> record = answer_record(Answer("Who led?", "Ana", False, evidence=(e,), short_answer="Ana", kind="short"))
    >>> record["evidence"][0]["span"], record["kind"], record["closest"]
    ([0, 3], 'short', [])
    >>> restored_answer(json.loads(json.dumps(record))).evidence == (e,)
    True
    """
    closest = answer.hits[:CLOSEST_KEPT] if answer.abstained else ()
    return {
        "question": answer.question, "text": answer.text, "abstained": answer.abstained, "kind": answer.kind,
        "short_answer": answer.short_answer, "reason": answer.reason,
        "evidence": [{**_quote_record(e), "span": None if e.span is None else list(e.span)} for e in answer.evidence],
        "citations": [_quote_record(c) for c in answer.citations],
        "closest": [{"source": h.chunk.source, "start_line": h.chunk.start_line, "end_line": h.chunk.end_line,
                     "text": clip(h.chunk.text, CLOSEST_CHARS), "similarity": h.similarity, "date": h.chunk.date}
                    for h in closest],
    }


def restored_answer(record) -> Answer:
    """The Answer a record stands for; ValueError when it is not one (a wrong type, a
    missing field, a span outside its quote)."""
    _expect(record, dict, "answer")
    kind = _field(record, "kind", str)
    if kind not in _KINDS:
        raise ValueError(f"unknown answer kind {kind!r}")
    evidence = tuple(Evidence(**_quote_fields(e), span=_span(e)) for e in _field(record, "evidence", list))
    citations = tuple(Citation(**_quote_fields(c)) for c in _field(record, "citations", list))
    closest = tuple(_closest_hit(h) for h in _field(record, "closest", list))
    return Answer(_field(record, "question", str), _field(record, "text", str), _field(record, "abstained", bool),
                  citations, closest, reason=_field(record, "reason", str), evidence=evidence,
                  short_answer=_field(record, "short_answer", str, optional=True), kind=kind)


def chat_record(chat: SavedChat) -> dict:
    return {"id": chat.id, "collection": chat.collection, "title": chat.title, "updated": chat.updated,
            "turns": [{"asked": t.asked, "answer": answer_record(t.answer), "dates": dict(t.dates)}
                      for t in chat.turns]}


def restored_chat(record) -> SavedChat:
    """The chat a record stands for; ValueError when any part of it does not parse."""
    _expect(record, dict, "chat")
    turns = []
    for turn in _field(record, "turns", list)[-MAX_TURNS:]:
        _expect(turn, dict, "turn")
        dates = _field(turn, "dates", dict)
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in dates.items()):
            raise ValueError("a turn's dates must map file names to dates")
        turns.append(Turn(_field(turn, "asked", str), restored_answer(_field(turn, "answer", dict)), dates))
    chat_id = _field(record, "id", str)
    if not turns or not 0 < len(chat_id) <= 64:
        raise ValueError("a chat needs an id and at least one turn")
    updated = _field(record, "updated", (int, float))
    if not math.isfinite(updated):
        raise ValueError("a chat's time must be a number of seconds")
    return SavedChat(chat_id, _field(record, "collection", str), _field(record, "title", str), float(updated),
                     tuple(turns))


def saved_chats(store) -> list[SavedChat]:
    """The chats in a store, most recently used first; a chat that does not parse is left
    out, and a store of another format (or none at all) holds no chats.

    >>> saved_chats(None), saved_chats({"format": 0, "chats": [{"id": "x"}]}), saved_chats("garbage")
    ([], [], [])
    >>> chat = SavedChat("c1", "default", "Who?", 5.0, (Turn("Who?", Answer("Who?", "Ana", False)),))
    >>> store = with_chat(empty_store(), chat)
    >>> store["chats"].append({"id": "c2", "turns": "not a list"})   # a hand edit
    >>> [c.id for c in saved_chats(store)]
    ['c1']
    """
    if not isinstance(store, dict) or store.get("format") != FORMAT or not isinstance(store.get("chats"), list):
        return []
    chats = []
    for record in store["chats"][: MAX_CHATS * 2]:  # a bounded amount of work, whatever was sent
        try:
            chats.append(restored_chat(record))
        except (ValueError, TypeError):
            continue
    unique = {c.id: c for c in sorted(chats, key=lambda c: c.updated)}  # the newest copy of an id wins
    return sorted(unique.values(), key=lambda c: -c.updated)[:MAX_CHATS]


def with_chat(store, chat: SavedChat) -> dict:
    """A new store with `chat` saved first (replacing its older copy), within the caps:
    its oldest turns beyond MAX_TURNS go, then the least recently used chats beyond
    MAX_CHATS, then more old chats (or this chat's oldest turns) until the JSON fits in
    MAX_STORE_CHARS.

    >>> turn = Turn("Q?", Answer("Q?", "A", False))
    >>> store = empty_store()
    >>> for n in range(MAX_CHATS + 3):
    ...     store = with_chat(store, SavedChat(f"c{n}", "default", "Q?", float(n), (turn,) * (MAX_TURNS + 5)))
    >>> chats = saved_chats(store)
    >>> len(chats), chats[0].id, chats[-1].id, len(chats[0].turns)
    (20, 'c22', 'c3', 30)
    """
    chat = SavedChat(chat.id, chat.collection, chat.title, chat.updated, chat.turns[-MAX_TURNS:])
    others = [c for c in saved_chats(store) if c.id != chat.id]
    records = [chat_record(c) for c in [chat, *others][:MAX_CHATS]]
    sizes = [len(json.dumps(r)) for r in records]
    while sum(sizes) > MAX_STORE_CHARS:
        if len(records) > 1:
            records.pop(), sizes.pop()
        elif len(records[0]["turns"]) > 1:
            del records[0]["turns"][0]
            sizes[0] = len(json.dumps(records[0]))
        else:
            records, sizes = [], []  # one question too big to keep
    return {"format": FORMAT, "chats": records}


def chat_choices(chats: list[SavedChat], show_collection: bool = False) -> list[tuple[str, str]]:
    """(label, id) for the list of recent chats: the title, with its collection when several
    collections are served.

    >>> chat = SavedChat("c1", "work", "Who?", 5.0, ())
    >>> chat_choices([chat]), chat_choices([chat], show_collection=True)
    ([('Who?', 'c1')], [('[work] Who?', 'c1')])
    """
    return [(f"[{c.collection}] {c.title}" if show_collection else c.title, c.id) for c in chats]


def _quote_record(q) -> dict:
    return {"source": q.source, "start_line": q.start_line, "end_line": q.end_line, "quote": q.quote,
            "score": q.score, "start_char": q.start_char, "end_char": q.end_char, "page": q.page,
            "section": q.section}


def _quote_fields(record) -> dict:
    _expect(record, dict, "quote")
    fields = {name: _field(record, name, int) for name in ("start_line", "end_line", "start_char", "end_char")}
    return {**fields, "source": _field(record, "source", str), "quote": _field(record, "quote", str),
            "score": float(_field(record, "score", (int, float))), "page": _field(record, "page", int, optional=True),
            "section": _field(record, "section", str, optional=True)}


def _span(record) -> tuple[int, int] | None:
    span = _field(record, "span", list, optional=True)
    if span is None:
        return None
    if len(span) != 2 or not all(type(n) is int for n in span) or not 0 <= span[0] <= span[1] <= len(record["quote"]):
        raise ValueError(f"answer span {span!r} is not inside its quote")
    return span[0], span[1]


def _closest_hit(record) -> Hit:
    _expect(record, dict, "passage")
    text = _field(record, "text", str)
    similarity = float(_field(record, "similarity", (int, float)))
    chunk = Chunk(-1, _field(record, "source", str), text, 0, len(text), _field(record, "start_line", int),
                  _field(record, "end_line", int), _field(record, "date", str, optional=True))
    return Hit(chunk, similarity, dense=similarity)


def _field(record: dict, name: str, kind, optional: bool = False):
    value = record.get(name)
    if value is None and optional:
        return None
    _expect(value, kind, name)
    return value


def _expect(value, kind, what: str) -> None:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # bool is an int in Python, but a stored true is no line number
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise ValueError(f"{what}: expected {'/'.join(k.__name__ for k in kinds)}, got {type(value).__name__}")
