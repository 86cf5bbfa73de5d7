"""The chat face: a Gradio page over `rag.Assistant`. It holds no retrieval or answer logic.

    python app_gradio.py [--docs DIR] [--index index] [--collection NAME] [--model PATH] [--host 127.0.0.1] [--port 7860]
                         [--llm-base-url URL [--llm-model NAME] [--llm-api-key KEY] [--llm-api API]]

The documents folder follows the same rule as `rag` (rag.opening.documents_folder):
--docs if given, else the folder the index was built from, else seeds/; the start-up
output names it. Starts by building or updating the index and loading (and warming) both
models, printing each step, and only then serves the page on 127.0.0.1: when the page
says ready, the first question pays no load cost. The page (rag/chat_app.py) has three
tabs: Chat (example questions from the documents, streamed answers, [n] links to a sources
panel, recent chats kept in the browser), Documents (upload, list, remove, restore,
re-index) and Settings (passages, model, answer length), all per browser tab except the
documents, which everyone shares. Its events are in rag/chat_events.py, its fixed parts in
rag/chat_page.py and its rendering in rag/chat_view.py. Nothing here reaches the network:
Gradio's analytics are off, the theme uses the system's fonts, and no share link is made.
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

from rag import Assistant, RagError  # noqa: E402
from rag.app_guard import MAX_UPLOAD_BYTES, QUEUE_SIZE, RequestGuard, allowed_hosts, private_upload_folder  # noqa: E402
from rag.chat_app import build_app  # noqa: E402
from rag.chat_collections import serving  # noqa: E402
from rag.chat_page import CSS, HEAD  # noqa: E402
from rag.cli_args import COLLECTION_HELP, DOCS_HELP, model_server, model_server_settings  # noqa: E402
from rag.config import EMBEDDING_BACKENDS, ModelSettings, Settings  # noqa: E402


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
    app = build_app(assistant, str(folder), serving(assistant, args.index, log=say))
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
