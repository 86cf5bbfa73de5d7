"""The chat face: a Gradio page over `rag.Assistant`. It holds no retrieval or answer logic.

    python app_gradio.py [--docs DIR] [--index index] [--collection NAME] [--model PATH] [--host 127.0.0.1] [--port 7860]
                         [--llm-base-url URL [--llm-model NAME] [--llm-api-key KEY] [--llm-api API]]

The documents folder follows the same rule as `rag` (rag.opening.documents_folder):
--docs if given, else the folder the index was built from, else seeds/; the start-up
output names it. Starts by building or updating the index and loading (and warming) both
models, printing each step, and only then serves the page on 127.0.0.1: when the page
says ready, the first question pays no load cost. Three tabs: Chat (example questions
from the documents, streamed answers, [n] links to a sources panel), Documents (upload,
list, remove, restore, re-index) and Settings (passages, model, answer length), all per
browser tab except the documents, which everyone shares. The page's parts are in
rag/chat_page.py and its rendering in rag/chat_view.py. Nothing here reaches the network:
Gradio's analytics are off, the theme uses the system's fonts, and no share link is made.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

from rag import Assistant, RagError  # noqa: E402
from rag.app_guard import (  # noqa: E402
    MAX_UPLOAD_BYTES,
    QUEUE_SIZE,
    RequestGuard,
    allowed_hosts,
    discard_uploads,
    private_upload_folder,
    split_uploads,
)
from rag.chat_page import (  # noqa: E402
    ANSWER_LENGTHS,
    CSS,
    DOC_HEADERS,
    HEAD,
    NO_SOURCES,
    chosen_settings,
    describe,
    document_rows,
    empty_chat,
    settings_note,
    sources_panel,
)
from rag.chat_view import (  # noqa: E402
    answer_message,
    draft_message,
    index_summary,
    literal,
    question_message,
    sources_section,
    upload_message,
)
from rag.cli_args import COLLECTION_HELP, DOCS_HELP, model_server, model_server_settings  # noqa: E402
from rag.config import EMBEDDING_BACKENDS, ModelSettings, Settings  # noqa: E402
from rag.page_image import PageImages  # noqa: E402


def indexing_progress(progress):
    """An indexing progress callback (rag/progress.py) that moves a Gradio progress bar."""
    def show(event) -> None:
        what = (f"Reading {event.source}" if event.stage == "reading" and event.source
                else f"Embedding: {event.files_done}/{event.files_total} files, {event.chunks_embedded} chunks")
        progress(event.share, desc=what)
    return show


def build_app(assistant: Assistant, upload_folder: str | None = None):
    """The page. Uploads are taken only from `upload_folder` (default: Gradio's temp folder;
    main() gives it a private one) and deleted once handled."""
    import gradio as gr
    from gradio.utils import get_upload_folder

    upload_folder = upload_folder or get_upload_folder()
    # Page images live in the app's own folder (all that its file= route serves), rendered
    # in a child process with the parsing limits, which ends with the app (its stdin closes).
    loading = assistant.settings.loading
    page_images = PageImages(Path(upload_folder) / "pages", loading.parse_seconds, loading.parse_memory_mb)

    def respond(message, chat, answers, sections, top_k, model, length):
        chat, answers, sections = list(chat or []), list(answers or []), list(sections or [])
        message = (message or "").strip()
        if not message:
            yield chat, "", answers, sections, sources_panel(sections)
            return
        chat += [{"role": "user", "content": question_message(message)}, {"role": "assistant", "content": draft_message("")}]
        yield chat, "", answers, sections, sources_panel(sections)
        try:
            stream = assistant.stream(message, history=answers,
                                      settings=chosen_settings(assistant, top_k, model, length))
            searched = stream.question if stream.question != message else None
            draft = ""
            for piece in stream:
                draft += piece
                chat[-1] = {"role": "assistant", "content": draft_message(draft, searched)}
                yield chat, "", answers, sections, sources_panel(sections)
            answer, turn = stream.answer, len(answers) + 1
            chat[-1] = {"role": "assistant", "content": answer_message(answer, turn, asked=message)}
            texts = {c.source: assistant.source_text(c.source) for c in answer.citations}
            sections.append(sources_section(answer, turn, texts))
            answers.append(answer)
        except RagError as exc:
            chat[-1] = {"role": "assistant", "content": f"**Error:** {literal(str(exc))}"}
        yield chat, "", answers, sections, sources_panel(sections)

    def show_page(request, answers):
        path, label, caption = page_images.cited(list(answers or []), request or "", assistant.docs)
        return gr.update(value=path, visible=path is not None, label=label), caption

    def examples_view():
        examples = assistant.example_questions()
        return gr.update(examples=[{"text": q} for q in examples] or None, placeholder=empty_chat(examples))

    def documents_view():
        rows = document_rows(assistant)
        return (rows, gr.update(choices=[row[0] for row in rows], value=None),
                gr.update(choices=assistant.removed_documents(), value=None), describe(assistant), examples_view())

    def changed(action):
        """Run a document change; its message replaces the last one, then the views refresh."""
        try:
            message = action()
        except RagError as exc:
            message = f"**Error:** {literal(str(exc))}"
        return (message, *documents_view())

    def add(files, progress=gr.Progress()):
        paths = [f if isinstance(f, str) else f.name for f in (files or [])]
        progress(0, desc="Checking and copying the files")
        ours, refused = split_uploads(paths, upload_folder)

        def added():
            done, report = assistant.add_documents(ours, progress=indexing_progress(progress)) if ours else ([], None)
            return upload_message([*done, *refused], report)
        try:
            return (None, *changed(added))
        finally:
            discard_uploads(paths, upload_folder)

    def remove(source):
        if not source:
            return ("Choose a document to remove first.", *documents_view())
        return changed(lambda: f"Removed **{literal(source)}** from the index; the file is kept aside, and "
                               f"*Restore* below brings it back. {index_summary(assistant.remove_document(source))}")

    def restore(name):
        if not name:
            return ("Choose a removed document to restore first.", *documents_view())
        return changed(lambda: f"Restored **{literal(name)}**. {index_summary(assistant.restore_document(name))}")

    def reindex(progress=gr.Progress()):
        progress(0, desc="Scanning the documents folder")
        return changed(lambda: index_summary(assistant.reindex(progress=indexing_progress(progress))))

    def picked(event):
        return event.value["text"]

    picked.__annotations__ = {"event": gr.SelectData}  # how Gradio knows to pass the clicked example

    def warm(top_k, model, length):
        try:
            assistant.warm_up(chosen_settings(assistant, top_k, model, length))
            return settings_note(top_k, model, length) + " The model is loaded and ready."
        except RagError as exc:
            return f"**Error:** {literal(str(exc))}"

    # File names only: the page's /config is readable by any caller, so no absolute paths.
    models = [p.name for p in assistant.model_choices()]
    current = Path(str(getattr(assistant.generator, "path", ""))).name or None
    examples = assistant.example_questions()
    # delete_cache: uploads older than an hour go even while the app runs (each is also
    # deleted once handled), and Gradio empties its cache when the server stops.
    with gr.Blocks(title="Ask your documents", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        answers, sections = gr.State([]), gr.State([])
        gr.Markdown("## Ask your documents")
        status = gr.Markdown(describe(assistant), elem_id="status")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                # Two columns down to 800 px wide, so the sources stay beside the answer.
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=340):
                        # No label: Gradio floats it over the top message once the chat scrolls.
                        chat = gr.Chatbot(elem_id="chat", height=420, show_label=False, feedback_options=None,
                                          buttons=["copy", "copy_all"], placeholder=empty_chat(examples),
                                          examples=[{"text": q} for q in examples] or None)
                        with gr.Row():
                            box = gr.Textbox(placeholder="Ask a question about your documents",
                                             show_label=False, elem_id="question", scale=8, autofocus=True)
                            send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=70)
                        with gr.Row():
                            clear = gr.Button("Clear conversation", size="sm", elem_id="clear", scale=0)
                    with gr.Column(scale=2, min_width=260):
                        gr.Markdown("### Sources")
                        sources = gr.HTML(NO_SOURCES, elem_id="sources")
                        page_note = gr.Markdown(elem_id="page-note")
                        page_image = gr.Image(visible=False, elem_id="page-view", interactive=False,
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
                table = gr.Dataframe(document_rows(assistant), headers=DOC_HEADERS, interactive=False,
                                     elem_id="documents", label="Indexed documents")
                with gr.Row():
                    choice = gr.Dropdown([r[0] for r in document_rows(assistant)], value=None,
                                         label="Document to remove", elem_id="remove-choice", scale=3)
                    remove_btn = gr.Button("Remove from index", variant="stop", elem_id="remove", scale=1)
                    reindex_btn = gr.Button("Re-index the folder", elem_id="reindex", scale=1)
                with gr.Row():
                    removed = gr.Dropdown(assistant.removed_documents(), value=None, elem_id="restore-choice",
                                          label="Removed documents (kept in the folder's .removed/)", scale=3)
                    restore_btn = gr.Button("Restore", elem_id="restore", scale=1)
            with gr.Tab("Settings", id="settings-tab"):
                top_k = gr.Slider(1, 8, value=assistant.settings.retrieval.top_k, step=1,
                                  label="Passages to read", elem_id="top-k",
                                  info="How many of the closest passages the model reads and may cite.")
                model = gr.Dropdown(models, value=current, label="Answering model (GGUF files in models/)",
                                    elem_id="model", visible=bool(models))
                length = gr.Radio(list(ANSWER_LENGTHS), value="Normal", label="Answer length",
                                  elem_id="length")
                settings_status = gr.Markdown(elem_id="settings-status")

        inputs = [box, chat, answers, sections, top_k, model, length]
        outputs = [chat, box, answers, sections, sources]
        # Questions run side by side (the model itself takes turns, see rag/concurrency.py);
        # document changes go one at a time.
        send.click(respond, inputs, outputs, concurrency_limit=4, concurrency_id="ask")
        box.submit(respond, inputs, outputs, concurrency_limit=4, concurrency_id="ask")
        chat.example_select(picked, None, box).then(
            respond, inputs, outputs, concurrency_limit=4, concurrency_id="ask")
        page_go.click(show_page, [page_request, answers], [page_image, page_note], concurrency_limit=2,
                      concurrency_id="pages")
        clear.click(lambda: ([], "", [], [], NO_SOURCES), None, outputs)
        chat.clear(lambda: ([], [], NO_SOURCES), None, [answers, sections, sources])  # its own bin icon
        docs_view = [table, choice, removed, status, chat]
        changes = {"concurrency_limit": 1, "concurrency_id": "documents"}
        upload.upload(add, upload, [upload, docs_status, *docs_view], **changes)
        remove_btn.click(remove, choice, [docs_status, *docs_view], **changes)
        restore_btn.click(restore, removed, [docs_status, *docs_view], **changes)
        reindex_btn.click(reindex, None, [docs_status, *docs_view], **changes)
        docs_tab.select(documents_view, None, docs_view)
        top_k.change(settings_note, [top_k, model, length], settings_status)
        length.change(settings_note, [top_k, model, length], settings_status)
        model.change(warm, [top_k, model, length], settings_status)
        app.load(documents_view, None, docs_view)
    return app


def offline_theme():
    import gradio as gr

    # The default theme loads its fonts from a web font service; use the system's instead.
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Chat with your documents in the browser.")
    parser.add_argument("--docs", help=DOCS_HELP)
    parser.add_argument("--index", default="index", help="index folder (default: index)")
    parser.add_argument("--collection", metavar="NAME", help=COLLECTION_HELP)
    parser.add_argument("--model", help="GGUF file to answer with (default: $RAG_MODEL, models/*.gguf, Gemma 3 270M)")
    parser.add_argument("--embedding-backend", choices=EMBEDDING_BACKENDS,
                        help="auto (default: onnxruntime if it can, else torch), onnx, onnx-int8 or torch")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to serve on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", 7860)))
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="another host name the page may be reached by (repeatable); by default "
                             "only the --host address (and localhost when it is 127.0.0.1) is answered")
    model_server(parser)
    return parser.parse_args(argv)


def say(line: str) -> None:
    print(f"app_gradio: {line}", file=sys.stderr, flush=True)


def start(args: argparse.Namespace, open_assistant=Assistant.open) -> Assistant:
    """Open the index the way `rag` does (the same rule picks the documents folder, and the
    start-up output names it), then load and warm both models. `open_assistant` replaces
    `Assistant.open`, for tests that bring their own models."""
    say("loading the embedding model and updating the index ...")
    settings = Settings(models=ModelSettings(embedding_backend=args.embedding_backend,
                                             **model_server_settings(args)))
    assistant = open_assistant(args.docs, args.index, collection=args.collection, settings=settings,
                               model=args.model, log=say)
    for line in assistant.report.lines():
        say(line)
    say("loading and warming the answering model ...")
    assistant.warm_up()
    return assistant


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        assistant = start(args)
    except RagError as exc:
        print(f"app_gradio: error: {exc}", file=sys.stderr)
        return 2
    folder = private_upload_folder()  # before Gradio makes or reads its temp folder
    app = build_app(assistant, str(folder))
    say(f"ready: open http://{args.host}:{args.port} in your browser (Ctrl+C to stop)")
    serve(app, args, str(folder))
    return 0


def serve(app, args: argparse.Namespace, upload_folder: str, block: bool = True, queue_size: int = QUEUE_SIZE):
    """Launch with the limits of rag/app_guard.py: a bounded queue (`queue_size` events
    waiting; the next gets BUSY), uploads up to MAX_UPLOAD_MB, no monitoring page, and
    RequestGuard in front of every route."""
    from starlette.middleware import Middleware

    guard = Middleware(RequestGuard, hosts=allowed_hosts(args.host, args.port, args.allow_host),
                       folders=[upload_folder])
    app.queue(max_size=queue_size)
    return app.launch(server_name=args.host, server_port=args.port, share=False, theme=offline_theme(),
                      css=CSS, head=HEAD, footer_links=[], quiet=True, max_file_size=MAX_UPLOAD_BYTES,
                      enable_monitoring=False, app_kwargs={"middleware": [guard]},
                      prevent_thread_lock=not block)


if __name__ == "__main__":
    sys.exit(main())
