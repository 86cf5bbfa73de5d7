"""The chat page's handlers (rag/chat_events.py) with the fake models over the seeds: an
answered question is saved in the browser's store and a reload shows it again; a reopened
chat follows up on its own answers; what the browser sends back is not trusted to name
files; a chat from a collection the app doesn't serve is not opened."""
import json

import gradio as gr
import pytest

from rag.chat_collections import OpenCollections
from rag.chat_events import ASKED, SHOWN, ChatEvents
from rag.chat_history import saved_chats

MINISTER_Q = "Who is the Minister of Foreign Affairs of Turkmenistan?"


@pytest.fixture
def assistant(scripted_assistant):
    return scripted_assistant({"Who did Rashid Meredov": "Zeynal Hajiyev",
                               "Minister of Foreign Affairs": "Rashid Meredov"})


@pytest.fixture
def events(assistant, tmp_path):
    return ChatEvents(OpenCollections(assistant), str(tmp_path / "uploads"), page_images=None)


def _ask(events, question, turns=(), chat_id="", store=None):
    """The last values `respond` yields, by output name."""
    *_, last = events.respond(question, [], list(turns), [], 4, None, "Normal", chat_id, store)
    return dict(zip(ASKED, last))


def _shown(values):
    return dict(zip(SHOWN, values))


def test_an_answer_is_saved_in_the_store_and_a_reload_shows_the_chat_again(events):
    first = _ask(events, MINISTER_Q)
    store = json.loads(json.dumps(first["store"]))  # as the browser keeps it
    [chat] = saved_chats(store)
    assert chat.id == first["chat_id"] and chat.title == MINISTER_Q and chat.collection == "default"
    assert first["recent"]["choices"] == [(MINISTER_Q, chat.id)] and first["recent"]["value"] == chat.id

    shown = _shown(events.load(store, chat.id))  # the page reloaded in the same tab
    assert shown["chat"]["value"] == first["chat"] and shown["sections"] == first["sections"]
    assert shown["chat_id"] == chat.id and shown["turns"][0].answer.short_answer == "Rashid Meredov"
    assert _shown(events.load(store, ""))["chat"]["value"] == [], "a new tab starts with a new chat"

    later = _ask(events, "and who did he meet?", shown["turns"], chat.id, store)
    assert "Zeynal Hajiyev" in later["chat"][-1]["content"], "the follow-up used the restored answer"
    [chat] = saved_chats(later["store"])
    assert len(chat.turns) == 2 and later["chat_id"] == chat.id


def test_new_chat_empties_the_tab_and_reopen_brings_a_chat_back(events):
    store = _ask(events, MINISTER_Q)["store"]
    [chat] = saved_chats(store)
    fresh = _shown(events.new_chat(store))
    assert fresh["chat"]["value"] == [] and fresh["turns"] == [] and fresh["chat_id"] == ""
    assert fresh["recent"]["choices"] == [(MINISTER_Q, chat.id)] and fresh["recent"]["value"] is None
    again = _shown(events.reopen(chat.id, store, ""))
    assert again["chat_id"] == chat.id and len(again["turns"]) == 1 and again["chat_note"] == ""


def test_a_restored_chat_shows_the_text_only_of_indexed_files(events, assistant):
    store = json.loads(json.dumps(_ask(events, MINISTER_Q)["store"]))
    aside = assistant.docs / ".removed"
    aside.mkdir()
    secret = "The hidden context of this file. Rashid Meredov. More hidden context."
    (aside / "secret.txt").write_text(secret)
    answer = store["chats"][0]["turns"][0]["answer"]
    answer["citations"][0].update(source=".removed/secret.txt", quote="Rashid Meredov",
                                  start_char=secret.index("Rashid"), end_char=secret.index(". More"))
    sections = _shown(events.load(store, store["chats"][0]["id"]))["sections"]
    assert ".removed/secret.txt" in sections[0] and "<mark>Rashid Meredov</mark>" in sections[0]
    assert "hidden context" not in sections[0], "the browser named a file that is not indexed"


def test_a_chat_from_a_collection_this_app_does_not_serve_is_not_opened(events):
    store = _ask(events, MINISTER_Q)["store"]
    store["chats"][0]["collection"] = "elsewhere"
    chat_id = store["chats"][0]["id"]
    shown = _shown(events.reopen(chat_id, store, ""))
    assert "elsewhere" in shown["chat_note"] and "can't open" in shown["chat_note"]
    assert shown["recent"]["value"] is None  # the list is back on this tab's (new) chat
    assert all(shown[name] == gr.skip() for name in ("chat", "turns", "sections", "active")), "left as they are"
    assert _shown(events.load(store, chat_id))["chat"]["value"] == [], "on reload: a new chat instead"


def test_a_chosen_document_is_the_only_one_searched_even_with_pattern_characters_in_its_name(tmp_path):
    from fakes import HashingEmbedder, ScriptedGenerator
    from rag import Assistant

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report[1].txt").write_text("The budget of the first report is 40 million.\n")
    (docs / "report1.txt").write_text("The budget of the other report is 90 million.\n")
    assistant = Assistant.open(docs, tmp_path / "idx", embedder=HashingEmbedder(), generator=ScriptedGenerator({}))
    events = ChatEvents(OpenCollections(assistant), str(tmp_path / "uploads"), page_images=None)
    for picked in (["report[1].txt"], ["report1.txt"]):
        *_, last = events.respond("What is the budget of the report?", [], [], [], 4, None, "Quotes only", "",
                                  None, None, picked)
        [turn] = dict(zip(ASKED, last))["turns"]
        assert {e.source for e in turn.answer.evidence} == set(picked)


def test_show_page_renders_only_indexed_files_whatever_a_reopened_chat_names(assistant, tmp_path):
    class Pages:  # stands in for page_image.PageImages, recording what it was asked to draw
        calls = []

        def cited(self, answers, request, docs):
            self.calls.append(request)
            return "page.png", "label", "caption"

    events = ChatEvents(OpenCollections(assistant), str(tmp_path / "uploads"), Pages())
    store = json.loads(json.dumps(_ask(events, MINISTER_Q)["store"]))
    store["chats"][0]["turns"][0]["answer"]["citations"][0].update(source=".removed/old.pdf", page=1)
    turns = _shown(events.load(store, store["chats"][0]["id"]))["turns"]
    image, caption = events.show_page("1-1", turns)
    assert Pages.calls == [] and caption == "That file is no longer in the index." and image["visible"] is False
    assert events.show_page("1-1", _ask(events, MINISTER_Q)["turns"])[1] == "caption"  # an indexed file
