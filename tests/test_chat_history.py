"""What the chat page keeps in the browser (rag/chat_history.py): a turn comes back as the
same Answer for the page and for follow-ups, the store stays within its caps, and a store
that was tampered with or written by another version loses only what does not parse."""
import json
import math

import pytest

from rag.chat_history import (
    CLOSEST_CHARS,
    MAX_CHATS,
    MAX_STORE_CHARS,
    MAX_TURNS,
    SavedChat,
    Turn,
    chat_record,
    empty_store,
    new_turn,
    saved_chats,
    with_chat,
)
from rag.chat_page import conversation_view
from rag.conversation import rewrite_followup
from rag.types import Answer, Chunk, Citation, Evidence, Hit

MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"


@pytest.fixture
def assistant(scripted_assistant):
    return scripted_assistant({"Minister of Foreign Affairs": "Rashid Meredov"})


def _through_json(store):
    """What the browser gives back: the store as JSON text, parsed again."""
    return json.loads(json.dumps(store))


def _chat(chat_id, turns, updated=1.0, collection="default"):
    return SavedChat(chat_id, collection, turns[0].asked, updated, tuple(turns))


def test_a_turn_comes_back_as_the_same_answer_for_the_page_and_for_follow_ups(assistant):
    answered = new_turn(MINISTER_Q, assistant.ask(MINISTER_Q))
    missing = new_turn("What is the capital of Kazakhstan?", assistant.ask("What is the capital of Kazakhstan?"))
    assert answered.answer.kind == "short" and answered.answer.evidence and answered.answer.citations
    assert missing.answer.abstained and missing.answer.hits and answered.dates
    store = _through_json(with_chat(empty_store(), _chat("c1", [answered, missing])))
    [chat] = saved_chats(store)
    again, gone = chat.turns
    for before, after in ((answered, again), (missing, gone)):
        a, b = before.answer, after.answer
        assert (b.question, b.text, b.kind, b.short_answer, b.abstained, b.reason) == \
            (a.question, a.text, a.kind, a.short_answer, a.abstained, a.reason)
        assert b.evidence == a.evidence and b.citations == a.citations and after.asked == before.asked
        assert rewrite_followup("and who did he meet?", [b]) == rewrite_followup("and who did he meet?", [a])
    closest = [(h.chunk.source, h.chunk.start_line, h.chunk.end_line, h.similarity, h.chunk.date)
               for h in missing.answer.hits[:3]]
    assert [(h.chunk.source, h.chunk.start_line, h.chunk.end_line, h.similarity, h.chunk.date)
            for h in gone.answer.hits] == closest
    # the page draws the restored turns exactly as it drew them live: messages and sources
    assert conversation_view(chat.turns, assistant.source_text) == \
        conversation_view([answered, missing], assistant.source_text)


def test_a_long_closest_passage_is_kept_cut():
    text = "word " * 400
    hit = Hit(Chunk(3, "a.txt", text, 0, len(text), 1, 9, "2024-01-02"), 0.2, dense=0.2)
    turn = new_turn("Q?", Answer("Q?", "not found", True, hits=(hit,), kind="abstained"))
    [chat] = saved_chats(_through_json(with_chat(empty_store(), _chat("c1", [turn]))))
    kept = chat.turns[0].answer.hits[0].chunk
    assert len(kept.text) <= CLOSEST_CHARS and kept.text.endswith("…") and kept.date == "2024-01-02"


def test_the_store_keeps_the_newest_chats_and_turns_within_its_caps():
    turn = Turn("Q?", Answer("Q?", "A", False))
    store = empty_store()
    for n in range(MAX_CHATS + 5):
        store = with_chat(store, _chat(f"c{n}", [Turn(f"first {n}?", turn.answer)] + [turn] * (MAX_TURNS + 9),
                                       updated=float(n)))
    chats = saved_chats(_through_json(store))
    assert [c.id for c in chats] == [f"c{n}" for n in range(MAX_CHATS + 4, 4, -1)]  # newest first
    assert all(len(c.turns) == MAX_TURNS for c in chats)
    assert len(store["chats"]) == MAX_CHATS and all(len(c["turns"]) == MAX_TURNS for c in store["chats"])
    assert chats[0].title == f"first {MAX_CHATS + 4}?", "the title stays when the first turns go"
    # saving an older chat again moves it to the front, once
    store = with_chat(store, _chat("c10", [turn], updated=100.0))
    assert [c.id for c in saved_chats(store)][:2] == ["c10", f"c{MAX_CHATS + 4}"]
    assert [c.id for c in saved_chats(store)].count("c10") == 1


def test_the_store_stays_under_its_size_cap_whatever_the_answers_hold():
    quote = "A long sentence of evidence. " * 200  # ~6 KB a quote
    big = Answer("Q?", quote, False, evidence=tuple(Evidence("a.txt", 1, 1, quote, 0.5) for _ in range(4)))
    store = empty_store()
    for n in range(MAX_CHATS):
        store = with_chat(store, _chat(f"c{n}", [Turn("Q?", big)] * MAX_TURNS, updated=float(n)))
    assert len(json.dumps(store)) <= MAX_STORE_CHARS
    chats = saved_chats(store)
    assert chats and chats[0].id == f"c{MAX_CHATS - 1}", "the newest chat is the one kept"


def _good_record(chat_id="good"):
    evidence = Evidence("a.txt", 2, 2, "Ana led the team.", 0.8, 10, 27, span=(0, 3))
    answer = Answer("Who led?", "Ana", False, (Citation("a.txt", 2, 2, "Ana led the team.", 0.6, 10, 27),),
                    evidence=(evidence,), short_answer="Ana", kind="short")
    return chat_record(_chat(chat_id, [Turn("Who led?", answer, {"a.txt": "2024-01-02"})]))


def _broken(change):
    record = _good_record("broken")
    change(record)
    return record


BROKEN = {
    "not an object": lambda r: r.clear() or r.update({"0": 1}),
    "turns not a list": lambda r: r.update(turns="hello"),
    "no turns": lambda r: r.update(turns=[]),
    "a line number as text": lambda r: r["turns"][0]["answer"]["evidence"][0].update(start_line="2"),
    "a line number as true": lambda r: r["turns"][0]["answer"]["citations"][0].update(start_line=True),
    "a span outside its quote": lambda r: r["turns"][0]["answer"]["evidence"][0].update(span=[0, 999]),
    "a span of three numbers": lambda r: r["turns"][0]["answer"]["evidence"][0].update(span=[0, 1, 2]),
    "an unknown kind": lambda r: r["turns"][0]["answer"].update(kind="<script>"),
    "a quote that is not text": lambda r: r["turns"][0]["answer"]["citations"][0].update(quote=["x"]),
    "a date that is not text": lambda r: r["turns"][0].update(dates={"a.txt": 20240102}),
    "the time as infinity": lambda r: r.update(updated=math.inf),
    "an empty id": lambda r: r.update(id=""),
    "a missing question": lambda r: r["turns"][0]["answer"].pop("question"),
}


@pytest.mark.parametrize("what", BROKEN)
def test_a_chat_that_does_not_parse_is_dropped_and_the_rest_kept(what):
    store = {"format": 1, "chats": [_good_record(), _broken(BROKEN[what])]}
    assert [c.id for c in saved_chats(store)] == ["good"]
    assert [c.id for c in saved_chats(with_chat(store, _chat("new", [Turn("Q?", Answer("Q?", "A", False))],
                                                             updated=9.0)))] == ["new", "good"]


@pytest.mark.parametrize("store", [None, "", [], {"chats": "x"}, {"format": 99, "chats": [_good_record()]},
                                   {"format": 1, "chats": None}, {"format": 1, "chats": [None, 3, "x"]}])
def test_a_store_of_another_format_or_shape_holds_no_chats(store):
    assert saved_chats(store) == []
    assert len(saved_chats(with_chat(store, _chat("new", [Turn("Q?", Answer("Q?", "A", False))])))) == 1
