"""The chat page's layout and wiring: which components there are and which handler
(chat_events.py) each event runs. Three tabs: Chat (examples, streamed answers with [n]
links to a sources panel, new chat and recent chats kept in the browser, the documents a
question may use), Documents (upload, list, remove, restore, re-index) and Settings
(passages, model, answer length); a collection selector above them when the app serves
several. Everything is per browser tab except the documents, which everyone shares.
"""
from __future__ import annotations

from pathlib import Path

from .chat_collections import OpenCollections
from .chat_history import empty_store
from .chat_page import (
    ANSWER_LENGTHS,
    DOC_HEADERS,
    FOCUS_QUESTION_JS,
    LOAD_TAB_CHAT_JS,
    NO_SOURCES,
    SAVE_TAB_CHAT_JS,
    STORE_KEY,
    STORE_SECRET,
    describe,
    document_rows,
    empty_chat,
    scope_label,
    settings_note,
)
from .page_image import PageImages


def build_app(assistant, upload_folder: str | None = None, collections: OpenCollections | None = None):
    """The page over `assistant` (and the other `collections`, if given). Uploads are taken
    only from `upload_folder` (default: Gradio's temp folder; app_gradio.main() gives it a
    private one) and deleted once handled."""
    import gradio as gr
    from gradio.utils import get_upload_folder

    from .chat_events import ASK_INPUTS, ASKED, DOCUMENTS_VIEW, SHOWN, ChatEvents

    upload_folder = upload_folder or get_upload_folder()
    collections = collections or OpenCollections(assistant)
    # Page images live in the app's own folder (all that its file= route serves), rendered
    # in a child process with the parsing limits, which ends with the app (its stdin closes).
    loading = assistant.settings.loading
    page_images = PageImages(Path(upload_folder) / "pages", loading.parse_seconds, loading.parse_memory_mb)
    events = ChatEvents(collections, upload_folder, page_images)
    # File names only: the page's /config is readable by any caller, so no absolute paths.
    models = [p.name for p in assistant.model_choices()]
    current = Path(str(getattr(assistant.generator, "path", ""))).name or None
    examples = assistant.example_questions()
    names = collections.names()
    files = assistant.store.sources
    ui = {}
    # delete_cache: uploads older than an hour go even while the app runs (each is also
    # deleted once handled), and Gradio empties its cache when the server stops.
    with gr.Blocks(title="Ask your documents", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        ui["turns"], ui["sections"], ui["active"] = gr.State([]), gr.State([]), gr.State(collections.default)
        # This browser's chats (localStorage); the server keeps none of them.
        ui["store"] = gr.BrowserState(empty_store(), storage_key=STORE_KEY, secret=STORE_SECRET)
        gr.Markdown("## Ask your documents")
        with gr.Row(equal_height=False):
            ui["status"] = gr.Markdown(describe(assistant), elem_id="status")
            ui["collection"] = gr.Dropdown(names, value=collections.default, label="Collection",
                                           elem_id="collection", visible=len(names) > 1, scale=0, min_width=200)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                # Two columns down to 800 px wide, so the sources stay beside the answer.
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=340):
                        # No label: Gradio floats it over the top message once the chat scrolls.
                        ui["chat"] = gr.Chatbot(elem_id="chat", height=420, show_label=False, feedback_options=None,
                                                buttons=["copy", "copy_all"], placeholder=empty_chat(examples),
                                                examples=[{"text": q} for q in examples] or None)
                        with gr.Row():
                            # Off until the page's load event has shown this tab's chat: a
                            # question asked before then would be wiped by it.
                            ui["box"] = gr.Textbox(placeholder="Loading…", show_label=False, elem_id="question",
                                                   scale=8, interactive=False)
                            send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=70,
                                             interactive=False)
                        with gr.Row(equal_height=False, elem_id="history-row"):
                            new = gr.Button("New chat", elem_id="new-chat", scale=0, min_width=130)
                            ui["recent"] = gr.Dropdown([], value=None, label="Recent chats",
                                                       elem_id="recent", scale=4)
                        ui["chat_note"] = gr.Markdown(elem_id="chat-note")
                        ui["scope"] = gr.Accordion(scope_label([], len(files), "", ""), open=False, elem_id="scope")
                        with ui["scope"]:
                            ui["picker"] = gr.Dropdown(files, value=[], multiselect=True, elem_id="picker",
                                                       label="Only these documents (none chosen: all of them)")
                            with gr.Row():
                                ui["since"] = gr.Textbox(label="Dated from", placeholder="YYYY-MM-DD",
                                                         elem_id="since", max_lines=1)
                                ui["until"] = gr.Textbox(label="Dated until", placeholder="YYYY-MM-DD",
                                                         elem_id="until", max_lines=1)
                        # Which chat this tab shows, mirrored into its sessionStorage.
                        ui["chat_id"] = gr.Textbox("", elem_id="chat-id", elem_classes="page-control",
                                                   show_label=False, container=False)
                    with gr.Column(scale=2, min_width=260):
                        gr.Markdown("### Sources")
                        ui["sources"] = gr.HTML(NO_SOURCES, elem_id="sources")
                        ui["page_note"] = gr.Markdown(elem_id="page-note")
                        ui["page_image"] = gr.Image(visible=False, elem_id="page-view", interactive=False,
                                                    type="filepath", buttons=["fullscreen"])
                        # Driven by the "show page" buttons in the sources (the script in HEAD).
                        page_request = gr.Textbox(elem_id="page-request", elem_classes="page-control",
                                                  show_label=False, container=False)
                        page_go = gr.Button("show page", elem_id="page-go", elem_classes="page-control")
            with gr.Tab("Documents", id="docs-tab") as docs_tab:
                gr.Markdown("Add documents (.txt, .md, .rst, .pdf, .docx, .html): they are copied into the "
                            "documents folder and indexed.")
                upload = gr.File(show_label=False, file_count="multiple", elem_id="upload", height=120)
                docs_status = gr.Markdown(elem_id="docs-status")
                rows = document_rows(assistant)
                ui["table"] = gr.Dataframe(rows, headers=DOC_HEADERS, interactive=False,
                                           elem_id="documents", label="Indexed documents")
                with gr.Row():
                    ui["choice"] = gr.Dropdown([r[0] for r in rows], value=None, label="Document to remove",
                                               elem_id="remove-choice", scale=3)
                    remove_btn = gr.Button("Remove from index", variant="stop", elem_id="remove", scale=1)
                    reindex_btn = gr.Button("Re-index the folder", elem_id="reindex", scale=1)
                with gr.Row():
                    ui["removed"] = gr.Dropdown(assistant.removed_documents(), value=None, elem_id="restore-choice",
                                                label="Removed documents (kept in the folder's .removed/)", scale=3)
                    restore_btn = gr.Button("Restore", elem_id="restore", scale=1)
            with gr.Tab("Settings", id="settings-tab"):
                ui["top_k"] = gr.Slider(1, 8, value=assistant.settings.retrieval.top_k, step=1,
                                        label="Passages to read", elem_id="top-k",
                                        info="How many of the closest passages the model reads and may cite.")
                ui["model"] = gr.Dropdown(models, value=current, label="Answering model (GGUF files in models/)",
                                          elem_id="model", visible=bool(models))
                ui["length"] = gr.Radio(list(ANSWER_LENGTHS), value="Normal", label="Answer length",
                                        elem_id="length")
                settings_status = gr.Markdown(elem_id="settings-status")

        def ready():
            return (gr.update(interactive=True, placeholder="Ask a question about your documents"),
                    gr.update(interactive=True))

        def parts(names):
            return [ui[name] for name in names]

        # Questions run side by side (the model itself takes turns, see rag/concurrency.py);
        # document changes go one at a time.
        ask = {"concurrency_limit": 4, "concurrency_id": "ask"}
        send.click(events.respond, parts(ASK_INPUTS), parts(ASKED), **ask)
        ui["box"].submit(events.respond, parts(ASK_INPUTS), parts(ASKED), **ask)
        ui["chat"].example_select(events.picked, None, ui["box"]).then(
            events.respond, parts(ASK_INPUTS), parts(ASKED), **ask)
        page_go.click(events.show_page, [page_request, ui["turns"], ui["active"]],
                      [ui["page_image"], ui["page_note"]], concurrency_limit=2, concurrency_id="pages")
        new.click(events.new_chat, parts(["store", "active"]), parts(SHOWN))
        ui["chat"].clear(events.new_chat, parts(["store", "active"]), parts(SHOWN))  # its own bin icon
        ui["recent"].select(events.reopen, parts(["recent", "store", "chat_id", "active"]), parts(SHOWN))
        ui["collection"].select(events.switch, parts(["collection", "store", "active"]), parts(SHOWN))
        docs_view = parts(DOCUMENTS_VIEW)
        changes = {"concurrency_limit": 1, "concurrency_id": "documents"}
        upload.upload(events.add, [upload, *parts(["active", "picker"])], [upload, docs_status, *docs_view], **changes)
        remove_btn.click(events.remove, parts(["choice", "active", "picker"]), [docs_status, *docs_view], **changes)
        restore_btn.click(events.restore, parts(["removed", "active", "picker"]), [docs_status, *docs_view], **changes)
        reindex_btn.click(events.reindex, parts(["active", "picker"]), [docs_status, *docs_view], **changes)
        docs_tab.select(events.documents_view, parts(["active", "picker", "since", "until"]), docs_view)
        scope = parts(["picker", "since", "until", "active"])
        ui["picker"].change(events.scope, scope, ui["scope"])
        ui["since"].blur(events.scope, scope, ui["scope"])
        ui["until"].blur(events.scope, scope, ui["scope"])
        chosen = parts(["top_k", "model", "length"])
        ui["top_k"].change(settings_note, chosen, settings_status)
        ui["length"].change(settings_note, chosen, settings_status)
        ui["model"].change(events.warm, [*chosen, ui["active"]], settings_status)
        app.load(events.load, parts(["store", "chat_id", "active"]), parts(SHOWN), js=LOAD_TAB_CHAT_JS).then(
            ready, None, [ui["box"], send]).then(None, js=FOCUS_QUESTION_JS)
        ui["chat_id"].change(None, ui["chat_id"], None, js=SAVE_TAB_CHAT_JS)
    return app
