"""The `rag` command's arguments: every subcommand, flag and its help text (no work here).

cli.py runs the commands; this module only describes them, so a flag added to a group
(`common`, `retrieval`, `filters`) reaches every subcommand that takes the group.
"""
from __future__ import annotations

import argparse

from .collections import DEFAULT_INDEX, ROOT_ENV
from .config import EMBEDDING_BACKENDS, RETRIEVAL_MODES

DOCS_HELP = "documents folder (default: the one the index was built from, else seeds)"
COLLECTION_HELP = (f"a named index with its own documents folder, kept in ${ROOT_ENV}/NAME (default: "
                   f"collections/NAME); created by: rag index DOCS --collection NAME; list: rag collections")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag", description="Offline question answering over your documents, with verified citations.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, docs_positional=False):
        if not docs_positional:
            p.add_argument("--docs", help=DOCS_HELP)
        p.add_argument("--index", default=DEFAULT_INDEX, help="index folder (default: index)")
        p.add_argument("--collection", metavar="NAME", help=COLLECTION_HELP)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p.add_argument("--embedding-model", help="local sentence-transformers folder (default: all-MiniLM-L6-v2)")
        p.add_argument("--embedding-backend", choices=EMBEDDING_BACKENDS,
                       help="what runs the embedding model: auto (default: onnxruntime if it can, else "
                            "torch), onnx, onnx-int8 (faster indexing, slightly different vectors) or torch")

    def retrieval(p):
        p.add_argument("--top-k", type=int, help="passages to retrieve (default: 4)")
        p.add_argument("--mode", choices=RETRIEVAL_MODES,
                       help="retrieval: hybrid (BM25 + embeddings, default), dense or lexical")

    def filters(p):
        p.add_argument("--source", action="append", dest="sources", metavar="GLOB",
                       help="search only files whose name matches (repeatable; '*.pdf', 'reports/**', "
                            "an exact name; a pattern without '/' matches in any folder; see docs/filters.md)")
        p.add_argument("--since", metavar="YYYY-MM-DD",
                       help="search only files dated on or after this day (their 'date' header, else "
                            "their modification day; files of unknown date are left out)")
        p.add_argument("--until", metavar="YYYY-MM-DD", help="search only files dated on or before this day")

    p = sub.add_parser("index", help="build or update the index; prints what changed")
    p.add_argument("docs", nargs="?", help=DOCS_HELP)
    p.add_argument("--rebuild", action="store_true", help="embed everything again from scratch")
    common(p, docs_positional=True)

    for name, text in (("ask", "answer a question with citations"), ("search", "show the closest passages")):
        p = sub.add_parser(name, help=text)
        p.add_argument("question")
        retrieval(p)
        filters(p)
        p.add_argument("--no-update", action="store_true", help="use the index as it is, don't scan the folder")
        if name == "ask":
            p.add_argument("--model", help="GGUF file to answer with (default: $RAG_MODEL, models/*.gguf, Gemma 3 270M)")
        common(p)

    p = sub.add_parser("eval", help="score answers on a question set (JSON lines)")
    p.add_argument("questions", help="JSON lines file, like tests/data/seeds_qa.jsonl (format: docs/eval-sets.md)")
    retrieval(p)
    p.add_argument("--retrieval-only", action="store_true",
                   help="score retrieval only (recall@1/5/10, MRR); don't load the answering model")
    p.add_argument("--split", help='score only the questions whose "split" is NAME (e.g. dev or test)')
    p.add_argument("--model", help="GGUF file to answer with")
    common(p)

    p = sub.add_parser("serve", help="serve an OpenAI-compatible API (chat completions with citations)")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--api-key", help="require 'Authorization: Bearer KEY' on every /v1 request "
                                     "(default: $RAG_API_KEY; unset: no key, so keep it on loopback)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="another host name the API may be reached by (repeatable)")
    p.add_argument("--no-update", action="store_true", help="use the index as it is, don't scan the folder")
    p.add_argument("--model", help="GGUF file to answer with")
    common(p)

    p = sub.add_parser("collections", help="list the collections: the default index and the named ones")
    p.add_argument("--index", default=DEFAULT_INDEX, help="the default collection's index folder (default: index)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return parser
