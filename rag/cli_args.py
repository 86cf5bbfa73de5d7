"""The `rag` command's arguments: every subcommand, flag and its help text (no work here).

cli.py runs the commands; this module only describes them, so a flag added to a group
(`common`, `retrieval`, `filters`, `model_server`) reaches every subcommand that takes the
group. app_gradio.py takes the `model_server` group too.
"""
from __future__ import annotations

import argparse

from .collections import DEFAULT_INDEX, ROOT_ENV
from .config import (
    EMBEDDING_BACKENDS,
    LLM_API_ENV_VAR,
    LLM_API_KEY_ENV_VAR,
    LLM_APIS,
    LLM_BASE_URL_ENV_VAR,
    LLM_MODEL_ENV_VAR,
    RETRIEVAL_MODES,
)

DOCS_HELP = "documents folder (default: the one the index was built from, else seeds)"
COLLECTION_HELP = (f"a named index with its own documents folder, kept in ${ROOT_ENV}/NAME (default: "
                   f"collections/NAME); created by: rag index DOCS --collection NAME; list: rag collections")


def model_server(p) -> None:
    """The flags that answer through an OpenAI-compatible model server instead of a GGUF."""
    group = p.add_argument_group(
        "model server", "answer with a model behind an OpenAI-compatible server (llama.cpp, vLLM, "
                        "Ollama, ...) instead of a local GGUF; retrieval and the checks stay local "
                        "(docs/model-servers.md)")
    group.add_argument("--llm-base-url", metavar="URL",
                       help=f"the server's OpenAI API, e.g. http://127.0.0.1:8000/v1 (default: "
                            f"${LLM_BASE_URL_ENV_VAR}; unset: llama.cpp in this process)")
    group.add_argument("--llm-model", metavar="NAME",
                       help=f"the server's model name (default: ${LLM_MODEL_ENV_VAR}, else the first "
                            f"the server lists)")
    group.add_argument("--llm-api-key", metavar="KEY",
                       help=f"bearer key for the server (default: ${LLM_API_KEY_ENV_VAR}; the environment "
                            f"variable keeps the key out of your shell history)")
    group.add_argument("--llm-api", choices=LLM_APIS,
                       help=f"chat (/chat/completions, models with a chat template), completions "
                            f"(/completions, base models) or auto (default: ${LLM_API_ENV_VAR}, else auto: "
                            f"completions for a base model, else chat)")


def model_server_settings(args: argparse.Namespace) -> dict:
    """The `model_server` flags as ModelSettings fields (None where not given, so the
    environment variables fill them)."""
    return {field: getattr(args, field, None) for field in ("llm_base_url", "llm_model", "llm_api_key", "llm_api")}


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
            model_server(p)
        common(p)

    p = sub.add_parser("eval", help="score answers on a question set (JSON lines)")
    p.add_argument("questions", help="JSON lines file, like tests/data/seeds_qa.jsonl (format: docs/eval-sets.md)")
    retrieval(p)
    p.add_argument("--retrieval-only", action="store_true",
                   help="score retrieval only (recall@1/5/10, MRR); don't load the answering model")
    p.add_argument("--split", help='score only the questions whose "split" is NAME (e.g. dev or test)')
    p.add_argument("--model", help="GGUF file to answer with")
    model_server(p)
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
    model_server(p)
    common(p)

    p = sub.add_parser("collections", help="list the collections: the default index and the named ones")
    p.add_argument("--index", default=DEFAULT_INDEX, help="the default collection's index folder (default: index)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return parser
