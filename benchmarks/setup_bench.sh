#!/usr/bin/env bash
# Install the peers the speed benchmarks compare against (LangChain, LlamaIndex) into a
# venv of their own, benchmarks/.venv, so they can never change the project's .venv or CI.
# torch==2.13.0 (CPU build) goes in first, exactly as scripts/setup.sh does, so no peer
# pulls a CUDA torch; then this package with its `bench` extra. The benchmarks run every
# system (ours, the floor and the peers) with this venv's Python when it exists, so all
# of them use the same torch, transformers and sentence-transformers.
#
#   TORCH_INDEX_URL   as in scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x benchmarks/.venv/bin/python ] || "$python" -m venv benchmarks/.venv
pip="benchmarks/.venv/bin/pip install -qq --disable-pip-version-check"
echo "setup_bench: installing torch (CPU build) ..." >&2
$pip "torch==2.13.0" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
echo "setup_bench: installing rag with LangChain and LlamaIndex ..." >&2
$pip -e ".[bench]"
benchmarks/.venv/bin/python - <<'PY'
import torch
assert torch.__version__.split("+")[0] == "2.13.0" and torch.version.cuda is None, \
    f"benchmarks/.venv got torch {torch.__version__} (cuda {torch.version.cuda}); expected the 2.13.0 CPU build"
import langchain_community, llama_index.vector_stores.faiss  # noqa: F401
print("setup_bench: ready (torch", torch.__version__ + ")")
PY
