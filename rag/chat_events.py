"""What the chat page does when something happens: a question, a chat reopened, a new chat,
the page loaded, a collection switched, a document added or removed, a page shown.

Each handler returns (or, for a question, yields) the values of its outputs in the order
of the lists below, which chat_app.py uses to wire it; `gr.skip()` leaves an output as it
is. The tab's state is in its components: `turns` (chat_history.Turn, with the full
Answers), `sections` (the sources panel's HTML per turn), `active` (the collection its
answers come from) and `chat_id`; the chats themselves are in the browser (`store`, a
BrowserState), which the server only reads and rewrites. This is the Gradio glue:
rendering is in chat_page.py and chat_view.py, the stored format in chat_history.py, and
the layout in chat_app.py.
"""
from __future__ import annotations

import secrets
import time

import gradio as gr

from .app_guard import discard_uploads, split_uploads
from .chat_history import SavedChat, chat_choices, new_turn, saved_chats, title_of, with_chat
from .chat_page import (
    assistant_collection,
    chosen_settings,
    conversation_view,
    describe,
    document_rows,
    empty_chat,
    question_filters,
    scope_label,
    settings_note,
    sources_panel,
    turn_view,
)
from .chat_view import draft_message, index_summary, literal, question_message, upload_message
from .errors import RagError
from .page_view import cited_page

ASK_INPUTS = ["box", "chat", "turns", "sections", "top_k", "model", "length", "chat_id", "store", "active",
              "picker", "since", "until"]
ASKED = ["chat", "box", "turns", "sections", "sources", "chat_id", "store", "recent"]
DOCUMENTS_VIEW = ["table", "choice", "removed", "status", "chat", "picker", "scope"]
# A conversation shown (a new chat, one reopened, the page loaded, another collection):
SHOWN = ["chat", "box", "turns", "sections", "sources", "chat_id", "recent", "chat_note",
         "active", "collection", "table", "choice", "removed", "status", "picker", "scope", "since", "until"]
PAGE_SHOWN = ["page_image", "page_note"]


def indexing_progress(progress):
    """An indexing progress callback (rag/progress.py) that moves a Gradio progress bar."""
    def show(event) -> None:
        what = (f"Reading {event.source}" if event.stage == "reading" and event.source
                else f"Embedding: {event.files_done}/{event.files_total} files, {event.chunks_embedded} chunks")
        progress(event.share, desc=what)
    return show


class ChatEvents:
    """The handlers of one app: `collections` (chat_collections.OpenCollections) gives each
    tab's Assistant by collection name, `upload_folder` is the only place uploads are taken
    from, and `page_images` renders a PDF citation's page."""

    def __init__(self, collections, upload_folder: str, page_images):
        self.collections = collections
        self.upload_folder = upload_folder
        self.page_images = page_images

    # Questions

    def respond(self, message, chat, turns, sections, top_k, model, length, chat_id=None, store=None,
                active=None, picked=None, since=None, until=None):
        chat, turns, sections = list(chat or []), list(turns or []), list(sections or [])
        unchanged = (gr.skip(), gr.skip(), gr.skip())  # chat_id, store, recent: saved once answered
        message = (message or "").strip()
        if not message:
            yield chat, "", turns, sections, sources_panel(sections), *unchanged
            return
        chat += [{"role": "user", "content": question_message(message)}, {"role": "assistant", "content": draft_message("")}]
        yield chat, "", turns, sections, sources_panel(sections), *unchanged
        try:
            assistant = self.collections.get(active)
            stream = assistant.stream(message, history=[t.answer for t in turns],
                                      settings=chosen_settings(assistant, top_k, model, length),
                                      **question_filters(picked, since, until))
            searched = stream.question if stream.question != message else None
            draft = ""
            for piece in stream:
                draft += piece
                chat[-1] = {"role": "assistant", "content": draft_message(draft, searched)}
                yield chat, "", turns, sections, sources_panel(sections), *unchanged
            turn = new_turn(message, stream.answer)
            shown, section = turn_view(turn, len(turns) + 1, self._source_text(assistant))
            chat[-1] = shown[1]
            turns.append(turn)
            sections.append(section)
            chat_id = chat_id or secrets.token_hex(8)
            saved = SavedChat(chat_id, assistant_collection(assistant), title_of(turns[0].asked), time.time(),
                              tuple(turns))
            store = with_chat(store, saved)
            yield (chat, "", turns, sections, sources_panel(sections), chat_id, store,
                   self._recent(saved_chats(store), chat_id))
        except RagError as exc:
            chat[-1] = {"role": "assistant", "content": f"**Error:** {literal(str(exc))}"}
            yield chat, "", turns, sections, sources_panel(sections), *unchanged

    def picked(self, event: gr.SelectData):
        """The example question clicked."""
        return event.value["text"]

    # Conversations: new, reopened, restored on load, another collection

    def new_chat(self, store, active=None):
        return self._shown(self.collections.get(active), (), "", saved_chats(store))

    def reopen(self, chosen, store, chat_id=None, active=None):
        """Show a saved chat, switching to its collection if it was on another one."""
        chats = saved_chats(store)
        if not chosen or chosen == chat_id:  # the list closed on nothing new
            return self._kept(chats, chat_id)
        chat = next((c for c in chats if c.id == chosen), None)
        current = self.collections.get(active)
        if chat is None:
            return self._kept(chats, chat_id, "That chat is no longer saved in this browser.")
        if chat.collection == assistant_collection(current):
            return self._shown(current, chat.turns, chat.id, chats)
        try:
            other = self.collections.get(chat.collection)
        except RagError as exc:
            return self._kept(chats, chat_id, f"That chat was asked in the collection **{literal(chat.collection)}**, "
                                              f"which this page can't open: {literal(str(exc))}")
        note = f"Switched to the collection **{literal(chat.collection)}**, which this chat was asked in."
        return self._shown(other, chat.turns, chat.id, chats, note, views=True)

    def load(self, store, chat_id=None, active=None):
        """On page load: the chat this browser tab showed before a reload (its id is kept in
        the tab's sessionStorage), else a new one; and the collection's views."""
        chats = saved_chats(store)
        chat = next((c for c in chats if chat_id and c.id == chat_id), None)
        if chat is not None:
            try:
                return self._shown(self.collections.get(chat.collection), chat.turns, chat.id, chats, views=True)
            except RagError:
                pass  # its collection is gone: start afresh on this tab's own
        return self._shown(self.collections.get(active), (), "", chats, views=True)

    def switch(self, name, store, active=None):
        """Another collection in this tab: a new chat over its documents. Other tabs keep theirs."""
        if name == (active or self.collections.default):
            return (*(gr.skip(),) * len(SHOWN),)
        try:
            assistant = self.collections.get(name)
        except RagError as exc:
            current = self.collections.get(active)
            return (*(gr.skip(),) * 9, assistant_collection(current), *(gr.skip(),) * 3,
                    f"{describe(current)}\n\n**Can't switch:** {literal(str(exc))}", *(gr.skip(),) * 4)
        return self._shown(assistant, (), "", saved_chats(store), views=True)

    def _shown(self, assistant, turns, chat_id: str, chats, note: str = "", views: bool = False):
        """`chats`: the browser's saved chats, parsed (chat_history.saved_chats)."""
        messages, sections = conversation_view(turns, self._source_text(assistant))
        examples = assistant.example_questions()
        chat = gr.update(value=messages, examples=[{"text": q} for q in examples] or None,
                         placeholder=empty_chat(examples))
        shown = (chat, "", list(turns), sections, sources_panel(sections), chat_id, self._recent(chats, chat_id),
                 note)
        if not views:
            return (*shown, *(gr.skip(),) * 10)
        name = assistant_collection(assistant)
        # another collection: its documents, and the choice of them starts afresh
        files = self._files(assistant)
        return (*shown, name, gr.update(value=name, choices=self.collections.names()),
                *self._documents(assistant)[:4], gr.update(choices=files, value=[]),
                gr.update(label=scope_label([], len(files), "", "")), "", "")

    def _kept(self, chats, chat_id, note: str | None = None):
        """Everything as it is, with a note if given; the list of recent chats back on this
        tab's chat."""
        return (*(gr.skip(),) * 6, self._recent(chats, chat_id), gr.skip() if note is None else note,
                *(gr.skip(),) * 10)

    def _recent(self, chats, chat_id):
        choices = chat_choices(chats, show_collection=len(self.collections.names()) > 1)
        return gr.update(choices=choices, value=chat_id if any(c[1] == chat_id for c in choices) else None)

    # Documents

    def documents_view(self, active=None, picked=None, since=None, until=None):
        """The collection's documents table, remove and restore choices, status line,
        example questions and document picker (what was chosen and is still indexed stays)."""
        assistant = self.collections.get(active)
        files = self._files(assistant)
        picked = [p for p in picked or [] if p in files]
        return (*self._documents(assistant), gr.update(choices=files, value=picked),
                gr.update(label=scope_label(picked, len(files), since, until)))

    def scope(self, picked, since, until, active=None):
        """The "documents to search" panel's title, once the choice changes."""
        return gr.update(label=scope_label(picked, len(self._files(self.collections.get(active))), since, until))

    def _documents(self, assistant):
        rows = document_rows(assistant)
        examples = assistant.example_questions()
        return (rows, gr.update(choices=[row[0] for row in rows], value=None),
                gr.update(choices=assistant.removed_documents(), value=None), describe(assistant),
                gr.update(examples=[{"text": q} for q in examples] or None, placeholder=empty_chat(examples)))

    def _changed(self, active, picked, action):
        """Run a document change; its message replaces the last one, then the views refresh."""
        try:
            message = action(self.collections.get(active))
        except RagError as exc:
            message = f"**Error:** {literal(str(exc))}"
        return (message, *self.documents_view(active, picked))

    def add(self, files, active=None, picked=None, progress=gr.Progress()):  # noqa: B008 (how Gradio passes a progress bar)
        paths = [f if isinstance(f, str) else f.name for f in (files or [])]
        progress(0, desc="Checking and copying the files")
        ours, refused = split_uploads(paths, self.upload_folder)

        def added(assistant):
            done, report = (assistant.add_documents(ours, progress=indexing_progress(progress)) if ours
                            else ([], None))
            return upload_message([*done, *refused], report)
        try:
            return (None, *self._changed(active, picked, added))
        finally:
            discard_uploads(paths, self.upload_folder)

    def remove(self, source, active=None, picked=None):
        if not source:
            return ("Choose a document to remove first.", *self.documents_view(active, picked))
        return self._changed(active, picked, lambda a: f"Removed **{literal(source)}** from the index; the file is kept "
                                               f"aside, and *Restore* below brings it back. "
                                               f"{index_summary(a.remove_document(source))}")

    def restore(self, name, active=None, picked=None):
        if not name:
            return ("Choose a removed document to restore first.", *self.documents_view(active, picked))
        return self._changed(active, picked, lambda a: f"Restored **{literal(name)}**. {index_summary(a.restore_document(name))}")

    def reindex(self, active=None, picked=None, progress=gr.Progress()):  # noqa: B008
        progress(0, desc="Scanning the documents folder")
        return self._changed(active, picked, lambda a: index_summary(a.reindex(progress=indexing_progress(progress))))

    # Settings and pages

    def warm(self, top_k, model, length, active=None):
        try:
            assistant = self.collections.get(active)
            assistant.warm_up(chosen_settings(assistant, top_k, model, length))
            return settings_note(top_k, model, length) + " The model is loaded and ready."
        except RagError as exc:
            return f"**Error:** {literal(str(exc))}"

    def show_page(self, request, turns, active=None):
        assistant = self.collections.get(active)
        answers = [t.answer for t in (turns or [])]
        citation, _why = cited_page(answers, request or "")
        if citation is not None and citation.source not in assistant.store.manifest.files:
            # a reopened chat's answers come from the browser: only indexed files are shown
            return gr.update(value=None, visible=False), "That file is no longer in the index."
        path, label, caption = self.page_images.cited(answers, request or "", assistant.docs)
        return gr.update(value=path, visible=path is not None, label=label), caption

    @staticmethod
    def _source_text(assistant):
        """A file's current text for the sources panel: indexed files only (a restored chat
        comes from the browser, which may name any file)."""
        files = assistant.store.manifest.files
        return lambda source: assistant.source_text(source) if source in files else None

    @staticmethod
    def _files(assistant) -> list[str]:
        return assistant.store.sources


