"""The chat face: a Gradio page over `rag.Assistant`. It holds no retrieval or answer logic.

    python app_gradio.py [--docs seeds] [--index index] [--model PATH] [--host 127.0.0.1] [--port 7860]

Starts by building or updating the index and loading (and warming) both models, printing
each step, and only then serves the page on 127.0.0.1: when the page says ready, the first
question pays no load cost. Three tabs: Chat (streamed answers, [n] links to a sources
panel), Documents (upload, list, remove, re-index) and Settings (passages, model, answer
length), all per browser tab except the documents, which everyone shares. Rendering is in
rag/chat_view.py. Nothing here reaches the network: Gradio's analytics are off, the theme
uses the system's fonts, and no share link is made.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

from rag import Assistant, RagError  # noqa: E402
from rag.config import EMBEDDING_BACKENDS, ModelSettings, Settings  # noqa: E402
from rag.chat_view import (  # noqa: E402
    answer_message, draft_message, human_size, index_summary, literal, sources_section, upload_message,
)
from rag.documents import index_progress  # noqa: E402

EXAMPLES = [
    "Who is the Minister of Foreign Affairs of Turkmenistan?",
    "and who did he meet?",
    "Where did the meeting between Madrakhimov and the IOM coordinator take place?",
    "What is the capital of Kazakhstan?",
]
# Answer length -> tokens a base model may write per passage read (reading_max_tokens);
# models with a chat template get three times as many for their one answer (max_tokens).
# "Quotes only" asks no model: the reply is the evidence sentences alone.
ANSWER_LENGTHS = {"Short": 16, "Normal": 32, "Long": 64, "Quotes only": 0}
NO_SOURCES = ('<p class="empty">The sources of each answer appear here: the file, its date, the lines, '
              'and the quote highlighted in its text. Click [1] in an answer to jump to its source.</p>')
DOC_HEADERS = ["Document", "Date", "Passages", "Size"]

CSS = """
#sources { max-height: 540px; overflow-y: auto; }
#sources .turn h4 { margin: 0.6em 0 0.3em; font-size: 0.95em; }
#sources .source { border: 1px solid var(--border-color-primary); border-radius: 6px;
                   padding: 6px 8px; margin-bottom: 8px; transition: background 0.4s; }
#sources .source.flash { background: var(--color-accent-soft); }
#sources .source-head { font-size: 0.85em; margin-bottom: 4px; }
#sources .context { white-space: pre-wrap; font-size: 0.9em; line-height: 1.4; }
#sources mark { background: #fde68a; color: inherit; padding: 0 1px; }
#sources .abstained { font-weight: 600; }
#chat .draft { color: var(--body-text-color-subdued); font-style: italic; }
#chat small.rewritten { color: var(--body-text-color-subdued); }
#chat blockquote.evidence { border-left: 3px solid #f59e0b; margin: 0.3em 0; padding: 0.2em 0.7em; }
#chat mark.answer { background: #fde68a; color: inherit; font-weight: 600; padding: 0 2px; }
"""
# Citation links jump within the page; Gradio would open links in a new tab otherwise.
HEAD = """<script>
document.addEventListener('click', (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#src-"]');
  if (!link) return;
  event.preventDefault(); event.stopPropagation();
  const target = document.getElementById(link.getAttribute('href').slice(1));
  if (!target) return;
  target.scrollIntoView({block: 'center'});
  target.classList.add('flash');
  setTimeout(() => target.classList.remove('flash'), 1600);
}, true);
</script>"""


def describe(assistant: Assistant) -> str:
    files = len(assistant.store.manifest.files)
    return (f"**Ready.** Answering from **{files} files** ({len(assistant.store)} passages) in "
            f"`{assistant.docs}` with `{assistant.generator.model_id}`. Every answer cites the file "
            f"and lines it comes from; when the documents don't hold the answer, it says so.")


def chosen_settings(assistant: Assistant, top_k: int, model: str | None, length: str):
    """The Assistant's settings with this tab's choices applied."""
    settings = assistant.settings
    tokens = ANSWER_LENGTHS.get(length, ANSWER_LENGTHS["Normal"])
    generation = dataclasses.replace(settings.generation, reading_max_tokens=tokens or 1, max_tokens=3 * tokens or 1,
                                     reading_windows=settings.generation.reading_windows if tokens else 0)
    models = dataclasses.replace(settings.models, gguf_path=model or settings.models.gguf_path)
    return dataclasses.replace(settings, generation=generation, models=models).with_top_k(int(top_k))


def document_rows(assistant: Assistant) -> list[list]:
    return [[d.source, d.date or "", d.chunks, "missing" if d.size is None else human_size(d.size)]
            for d in assistant.documents()]


def indexing_log(progress):
    """An indexing log callback that moves a Gradio progress bar."""
    def log(line: str) -> None:
        share = index_progress(line)
        if share is not None:
            progress(share, desc="Indexing")
    return log


def build_app(assistant: Assistant):
    import gradio as gr

    def panel(sections: list[str]) -> str:
        return "\n".join(reversed(sections)) or NO_SOURCES

    def respond(message, chat, answers, sections, top_k, model, length):
        chat, answers, sections = list(chat or []), list(answers or []), list(sections or [])
        message = (message or "").strip()
        if not message:
            yield chat, "", answers, sections, panel(sections)
            return
        chat += [{"role": "user", "content": message}, {"role": "assistant", "content": draft_message("")}]
        yield chat, "", answers, sections, panel(sections)
        try:
            stream = assistant.stream(message, history=answers,
                                      settings=chosen_settings(assistant, top_k, model, length))
            searched = stream.question if stream.question != message else None
            draft = ""
            for piece in stream:
                draft += piece
                chat[-1] = {"role": "assistant", "content": draft_message(draft, searched)}
                yield chat, "", answers, sections, panel(sections)
            answer, turn = stream.answer, len(answers) + 1
            chat[-1] = {"role": "assistant", "content": answer_message(answer, turn, asked=message)}
            texts = {c.source: assistant.source_text(c.source) for c in answer.citations}
            sections.append(sources_section(answer, turn, texts))
            answers.append(answer)
        except RagError as exc:
            chat[-1] = {"role": "assistant", "content": f"**Error:** {literal(str(exc))}"}
        yield chat, "", answers, sections, panel(sections)

    def documents_view():
        rows = document_rows(assistant)
        names = [row[0] for row in rows]
        return rows, gr.update(choices=names, value=None), describe(assistant)

    def add(files, progress=gr.Progress()):
        paths = [f if isinstance(f, str) else f.name for f in (files or [])]
        progress(0, desc="Checking and copying the files")
        try:
            added, report = assistant.add_documents(paths, log=indexing_log(progress))
            message = upload_message(added, report)
        except RagError as exc:
            message = f"**Error:** {literal(str(exc))}"
        return (None, message, *documents_view())

    def remove(source):
        if not source:
            return ("Choose a document to remove first.", *documents_view())
        try:
            report = assistant.remove_document(source)
            message = (f"Removed **{literal(source)}** from the index; the file is now in "
                       f"`.removed/` in the documents folder. {index_summary(report)}")
        except RagError as exc:
            message = f"**Error:** {literal(str(exc))}"
        return (message, *documents_view())

    def reindex(progress=gr.Progress()):
        progress(0, desc="Scanning the documents folder")
        try:
            report = assistant.reindex(log=indexing_log(progress))
            message = index_summary(report)
        except RagError as exc:
            message = f"**Error:** {literal(str(exc))}"
        return (message, *documents_view())

    def warm(model, length):
        try:
            assistant.warm_up(chosen_settings(assistant, assistant.settings.retrieval.top_k, model, length))
            return f"Model ready: `{os.path.basename(model or '')}`"
        except RagError as exc:
            return f"**Error:** {literal(str(exc))}"

    models = [(p.name, str(p)) for p in assistant.model_choices()]
    current = str(getattr(assistant.generator, "path", "")) or None
    with gr.Blocks(title="Ask your documents", analytics_enabled=False) as app:
        answers, sections = gr.State([]), gr.State([])
        gr.Markdown("## Ask your documents")
        status = gr.Markdown(describe(assistant), elem_id="status")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat-tab"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chat = gr.Chatbot(elem_id="chat", height=420, label="Conversation",
                                          feedback_options=None, buttons=["copy", "copy_all"])
                        with gr.Row():
                            box = gr.Textbox(placeholder="Ask a question about your documents",
                                             show_label=False, elem_id="question", scale=8, autofocus=True)
                            send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=80)
                        with gr.Row():
                            gr.Examples(EXAMPLES, inputs=box, label="Try")
                            clear = gr.Button("Clear conversation", size="sm", scale=0)
                    with gr.Column(scale=2, min_width=320):
                        gr.Markdown("### Sources")
                        sources = gr.HTML(NO_SOURCES, elem_id="sources")
            with gr.Tab("Documents", id="docs-tab") as docs_tab:
                upload = gr.File(label="Add documents (.txt, .md): they are copied into the documents "
                                       "folder and indexed", file_count="multiple", elem_id="upload",
                                 height=120)
                upload_status = gr.Markdown(elem_id="upload-status")
                table = gr.Dataframe(document_rows(assistant), headers=DOC_HEADERS, interactive=False,
                                     elem_id="documents", label="Indexed documents")
                with gr.Row():
                    choice = gr.Dropdown([r[0] for r in document_rows(assistant)], value=None,
                                         label="Document to remove", elem_id="remove-choice", scale=3)
                    remove_btn = gr.Button("Remove from index", variant="stop", elem_id="remove", scale=1)
                    reindex_btn = gr.Button("Re-index the folder", elem_id="reindex", scale=1)
                docs_status = gr.Markdown(elem_id="docs-status")
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
        clear.click(lambda: ([], "", [], [], NO_SOURCES), None, outputs)
        chat.clear(lambda: ([], [], NO_SOURCES), None, [answers, sections, sources])  # its own bin icon
        docs_view = [table, choice, status]
        upload.upload(add, upload, [upload, upload_status, *docs_view], concurrency_limit=1,
                      concurrency_id="documents")
        remove_btn.click(remove, choice, [docs_status, *docs_view], concurrency_id="documents")
        reindex_btn.click(reindex, None, [docs_status, *docs_view], concurrency_id="documents")
        docs_tab.select(documents_view, None, docs_view)
        model.change(warm, [model, length], settings_status)
        app.load(documents_view, None, docs_view)
    return app


def offline_theme():
    import gradio as gr

    # The default theme loads its fonts from a web font service; use the system's instead.
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chat with your documents in the browser.")
    parser.add_argument("--docs", default="seeds", help="documents folder (default: seeds)")
    parser.add_argument("--index", default="index", help="index folder (default: index)")
    parser.add_argument("--model", help="GGUF file to answer with (default: $RAG_MODEL, models/*.gguf, Gemma 3 270M)")
    parser.add_argument("--embedding-backend", choices=EMBEDDING_BACKENDS,
                        help="auto (default: onnxruntime if it can, else torch), onnx, onnx-int8 or torch")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to serve on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", 7860)))
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(f"app_gradio: {line}", file=sys.stderr, flush=True)

    try:
        say("loading the embedding model and updating the index ...")
        settings = Settings(models=ModelSettings(embedding_backend=args.embedding_backend))
        assistant = Assistant.open(args.docs, args.index, settings=settings, model=args.model, log=say)
        for line in assistant.report.lines():
            say(line)
        say("loading and warming the answering model ...")
        assistant.warm_up()
    except RagError as exc:
        print(f"app_gradio: error: {exc}", file=sys.stderr)
        return 2
    app = build_app(assistant)
    say(f"ready: open http://{args.host}:{args.port} in your browser (Ctrl+C to stop)")
    app.queue().launch(server_name=args.host, server_port=args.port, share=False, theme=offline_theme(),
                       css=CSS, head=HEAD, footer_links=[], quiet=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
