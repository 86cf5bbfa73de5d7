"""The `rag` command: argument parsing and printing only; the work is in `Assistant`.

    rag index [DOCS] [--index DIR] [--collection NAME] [--rebuild] [--json]
    rag ask "QUESTION" [--json] [--docs DIR] [--index DIR] [--model PATH] [--top-k N] [--mode M] [FILTER]
            [--llm-base-url URL [--llm-model NAME] [--llm-api-key KEY] [--llm-api API]]
    rag search "QUESTION" [--json] [--docs DIR] [--index DIR] [--top-k N] [--mode M] [FILTER]
    rag eval QA.jsonl [--json] [--docs DIR] [--index DIR] [--model PATH] [--top-k N] [--mode M]
                      [--retrieval-only] [--split NAME] [--llm-base-url URL ...]
    rag serve [--docs DIR] [--index DIR] [--host 127.0.0.1] [--port 8000] [--api-key KEY]
              [--llm-base-url URL ...]
    rag collections [--index DIR] [--json]

Every command but `collections` takes --collection NAME (collections.py).

M is the retrieval mode: hybrid (default), dense or lexical. FILTER limits the files that
may answer: --source GLOB (repeatable), --since YYYY-MM-DD, --until YYYY-MM-DD (filters.py).

Library errors become one line on stderr naming the cause and the fix, and exit code 2.
"""
from __future__ import annotations

import json
import sys

from .cli_args import parser as _parser
from .errors import RagError
from .types import place_label


def _open(args, update: bool):
    from .cli_args import model_server_settings
    from .config import ModelSettings, Settings
    from .pipeline import Assistant

    open_assistant = getattr(args, "open_assistant", None) or Assistant.open
    settings = Settings(models=ModelSettings(embedding_path=args.embedding_model,
                                           embedding_backend=args.embedding_backend,
                                           **model_server_settings(args))).with_top_k(
        getattr(args, "top_k", None)).with_mode(getattr(args, "mode", None))
    from .progress import TerminalProgress, no_progress

    log = (lambda line: print(line, file=sys.stderr)) if not args.json else (lambda _: None)
    # a progress bar on a terminal only, never with --json (TerminalProgress checks for a TTY)
    progress = no_progress if args.json else TerminalProgress(sys.stderr)
    return open_assistant(args.docs, args.index, collection=args.collection, settings=settings,
                          model=getattr(args, "model", None), update=update,
                          rebuild=getattr(args, "rebuild", False), log=log, progress=progress)


def _check_question(args):
    """Refuse an unaskable question or a malformed filter before any indexing or model
    loading; the question's DocumentFilter (None: every file)."""
    from .config import GenerationSettings
    from .filters import DocumentFilter
    from .pipeline import validate_question

    validate_question(args.question, GenerationSettings().max_question_chars)
    return DocumentFilter.of(args.sources, args.since, args.until)


def cmd_index(args) -> int:
    assistant = _open(args, update=True)
    report = assistant.report
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print("\n".join(report.lines()))
    return 0


def cmd_ask(args) -> int:
    document_filter = _check_question(args)
    assistant = _open(args, update=not args.no_update)
    stream = assistant.stream(args.question, document_filter=document_filter)
    for piece in stream:  # show the draft as it comes, on stderr, so stdout stays clean
        if not args.json and sys.stderr.isatty():
            print(piece, end="", file=sys.stderr, flush=True)
    if not args.json and sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    answer = stream.answer
    if args.json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return 0
    if answer.evidence:
        print_evidence(answer, sys.stdout.isatty())
    else:
        print(answer.text)
        for number, c in enumerate(answer.citations, 1):
            print(f"  [{number}] {_place(c)} (similarity {c.score:.2f})\n      \"{c.quote}\"")
    if answer.abstained:
        if answer.reason:
            print(f"  (why: {answer.reason})")
        if answer.hits:
            print("Closest passages:")
            for hit in answer.hits:
                c = hit.chunk
                snippet = " ".join(c.text.split())
                print(f"  - {place_label(c.source, None, c.start_line, c.end_line)} (similarity {hit.similarity:.2f}): "
                      f"{snippet[:200]}{'...' if len(snippet) > 200 else ''}")
    return 0


def _place(q) -> str:
    """report.pdf, p. 2 (a PDF), a.txt:3-5 (text), with the heading path when known."""

    where = place_label(q.source, q.page, q.start_line, q.end_line)
    return f"{where} ({q.section})" if q.section else where


def print_evidence(answer, terminal: bool) -> None:
    """Evidence first: each quote with its [n] and place, the short answer marked inside
    the first (bold on a terminal, **like this** otherwise), then the short answer."""
    on, off = ("\033[1;4m", "\033[0m") if terminal else ("**", "**")
    for number, e in enumerate(answer.evidence, 1):
        quote = e.quote if e.span is None else \
            f"{e.quote[:e.span[0]]}{on}{e.highlighted}{off}{e.quote[e.span[1]:]}"
        print(f"[{number}] {_place(e)}\n    \"{' '.join(quote.split())}\"")
    if answer.short_answer:
        print(f"Answer: {answer.short_answer}")
    elif answer.kind == "summary":
        print("(the key sentences, in the order the document gives them)")
    else:
        print("(no short answer passed our checks; the quote is what the documents say)")


def cmd_search(args) -> int:
    document_filter = _check_question(args)
    assistant = _open(args, update=not args.no_update)
    hits = assistant.search(args.question, args.top_k, document_filter=document_filter)
    rows = [{"source": h.chunk.source, "start_line": h.chunk.start_line, "end_line": h.chunk.end_line,
             "score": round(h.score, 4), "text": h.chunk.text,
             "dense": None if h.dense is None else round(h.dense, 4),
             "lexical": None if h.lexical is None else round(h.lexical, 4),
             "page": assistant.store.place(h.chunk.source, h.chunk.start_line)[0]} for h in hits]
    if args.json:
        print(json.dumps({"hits": rows}, indent=2, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['score']:.3f}  {row['source']}:{row['start_line']}-{row['end_line']}  "
                  f"{' '.join(row['text'].split())[:160]}")
    return 0


def cmd_eval(args) -> int:
    from .eval_report import format_summary, format_table
    from .evaluation import evaluate, load_questions, select_split

    questions = load_questions(args.questions)
    if args.split:
        questions = select_split(questions, args.split)
    assistant = _open(args, update=True)
    results, summary = evaluate(assistant, questions, retrieval_only=args.retrieval_only,
                                progress=None if args.json else _print_progress)
    if args.split:
        summary["split"] = args.split
    if args.retrieval_only:
        summary["mode"] = assistant.settings.retrieval.mode
        print(json.dumps({"summary": summary}, indent=2) if args.json else format_summary(summary))
        return 0
    if args.json:
        print(json.dumps({"summary": summary, "results": [r.to_dict() for r in results]}, indent=2,
                         ensure_ascii=False))
    else:
        print(format_table(results, summary))
    return 0


def _print_progress(done: int, total: int, result) -> None:
    shown = (f"first hit at rank {result.hit_rank}" if result.answer is None
             else " ".join(result.answer.text.split())[:70])
    print(f"[{done}/{total}] {result.question.id}: {shown}", file=sys.stderr)


def cmd_serve(args) -> int:
    import os

    from .api_server import Catalog, create_api, run
    from .app_guard import allowed_hosts, is_loopback
    from .chat_collections import serving

    key = args.api_key or os.environ.get(API_KEY_ENV_VAR) or None
    say = (lambda line: print(f"rag serve: {line}", file=sys.stderr, flush=True))
    if not is_loopback(args.host) and not key:
        say(f"warning: serving on {args.host} without an API key: anyone who can reach this machine "
            f"can read your documents through it; set --api-key or {API_KEY_ENV_VAR}")
    assistant = _open(args, update=not args.no_update)
    say("loading and warming the answering model ...")
    assistant.warm_up()
    catalog = Catalog(serving(assistant, args.index, log=say))
    run(create_api(catalog, key, allowed_hosts(args.host, args.port, args.allow_host)), args.host, args.port, say)
    return 0


API_KEY_ENV_VAR = "RAG_API_KEY"


def cmd_collections(args) -> int:
    from .collections import format_collections, list_collections

    found = list_collections(args.index)
    if args.json:
        print(json.dumps({"collections": [c.to_dict() for c in found]}, indent=2, ensure_ascii=False))
    else:
        print("\n".join(format_collections(found)))
    return 0


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "search": cmd_search, "eval": cmd_eval, "serve": cmd_serve,
            "collections": cmd_collections}


def main(argv: list[str] | None = None, open_assistant=None) -> int:
    """Run one `rag` command. `open_assistant` replaces `Assistant.open` (same arguments),
    for programs and tests that bring their own models."""
    parser = _parser()
    args = parser.parse_args(argv)
    args.open_assistant = open_assistant
    if getattr(args, "top_k", None) is not None and args.top_k < 1:
        parser.error(f"--top-k {args.top_k}: give 1 or more passages")
    try:
        return COMMANDS[args.command](args)
    except RagError as exc:
        print(f"rag: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # disk full, permissions: name the file and the cause, no traceback
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"rag: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rag: interrupted; the index keeps its last saved state (progress is saved every "
              "60 s); run the command again to finish", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
