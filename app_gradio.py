"""The chat face: a Gradio page over `rag.Assistant`. It holds no retrieval or answer logic.

    python app_gradio.py [--docs seeds] [--index index] [--model PATH] [--port 7860]

Starts by building or updating the index, loads the answering model once, then serves a
chat on 127.0.0.1 only. Nothing here reaches the network: Gradio's analytics are off, the
theme uses the system's fonts instead of web fonts, and no share link is made.
"""
from __future__ import annotations

import argparse
import html
import os
import re
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

from rag import Answer, Assistant, RagError  # noqa: E402

EXAMPLES = [
    "Who is the Minister of Foreign Affairs of Turkmenistan?",
    "Where did the meeting between Madrakhimov and the IOM coordinator take place?",
    "What is the capital of Kazakhstan?",
]


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def _quote(text: str) -> str:
    r"""File or model text shown literally in markdown: white space folded, HTML escaped,
    and markdown syntax escaped, so a document can't add links or images (which the
    browser would fetch) or change what the quote looks like.

    >>> print(_quote("![x](http://h/a.png)  *b* <i>"))
    \!\[x\]\(http://h/a\.png\) \*b\* &lt;i&gt;
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(" ".join(text.split()), quote=False))


def format_answer(answer: Answer) -> str:
    """The assistant's chat message: the answer, then where it comes from."""
    lines = [_quote(answer.text)]
    if answer.citations:
        lines += ["", "**Sources**"]
        for number, c in enumerate(answer.citations, 1):
            span = f"line {c.start_line}" if c.start_line == c.end_line else f"lines {c.start_line}-{c.end_line}"
            lines.append(f"{number}. `{c.source}`, {span} (score {c.score:.2f})")
            lines.append(f"   > {_quote(c.quote)}")
    elif answer.abstained and answer.hits:
        lines += ["", "**Closest passages** (they don't answer the question):"]
        for hit in answer.hits[:3]:
            c = hit.chunk
            snippet = _quote(c.text)
            snippet = snippet if len(snippet) <= 300 else snippet[:297] + "..."
            lines.append(f"- `{c.source}`, lines {c.start_line}-{c.end_line} (score {hit.score:.2f}): {snippet}")
    return "\n".join(lines)


def describe(assistant: Assistant) -> str:
    manifest = assistant.store.manifest
    model = assistant.generator.model_id
    return (f"Answering from **{len(manifest.files)} files** ({len(assistant.store)} passages) in "
            f"`{assistant.docs}` with `{model}`. Every answer cites the file and lines it comes "
            f"from; when the documents don't hold the answer, the assistant says so.")


def build_app(assistant: Assistant):
    import gradio as gr

    def respond(message: str, history: list):
        history = list(history or [])
        message = (message or "").strip()
        if not message:
            yield history, ""
            return
        history.append({"role": "user", "content": message})
        history.append({"role": "assistant", "content": "_Reading the passages..._"})
        yield history, ""
        try:
            stream = assistant.stream(message)
            draft = ""
            for piece in stream:
                draft += piece
                shown = " / ".join(line.strip() for line in draft.splitlines() if line.strip())
                history[-1] = {"role": "assistant",
                               "content": f"_Reading the passages... draft: {_quote(shown)}_"}
                yield history, ""
            history[-1] = {"role": "assistant", "content": format_answer(stream.answer)}
        except RagError as exc:
            history[-1] = {"role": "assistant", "content": f"**Error:** {_quote(str(exc))}"}
        yield history, ""

    with gr.Blocks(title="Ask your documents", analytics_enabled=False) as app:
        gr.Markdown("## Ask your documents")
        gr.Markdown(describe(assistant), elem_id="status")
        chat = gr.Chatbot(elem_id="chat", height=480, label="Conversation", feedback_options=None,
                          buttons=["copy", "copy_all"])
        with gr.Row():
            box = gr.Textbox(placeholder="Ask a question about your documents", show_label=False,
                             elem_id="question", scale=8, autofocus=True)
            send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
        gr.Examples(EXAMPLES, inputs=box)
        clear = gr.Button("Clear conversation", size="sm")
        send.click(respond, [box, chat], [chat, box])
        box.submit(respond, [box, chat], [chat, box])
        clear.click(lambda: ([], ""), None, [chat, box])
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
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("RAG_PORT", 7860)))
    args = parser.parse_args(argv)
    try:
        assistant = Assistant.open(args.docs, args.index, model=args.model,
                                   log=lambda line: print(line, file=sys.stderr))
        print("\n".join(assistant.report.lines()), file=sys.stderr)
        assistant.generator  # load the model now, not on the first question
    except RagError as exc:
        print(f"app_gradio: error: {exc}", file=sys.stderr)
        return 2
    app = build_app(assistant)
    print(f"Open http://{args.host}:{args.port} in your browser (Ctrl+C to stop).", file=sys.stderr)
    app.queue().launch(server_name=args.host, server_port=args.port, share=False,
                       theme=offline_theme(), footer_links=[], quiet=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
