#!/usr/bin/env bash
# Build and install llama-cpp-python into .venv with flags that run on any CPU of this
# architecture (or, on request, a native, CUDA or Metal build), never reusing a wheel that
# was built with other flags.
#
# pip's wheel cache keys on the package version, not on CMAKE_ARGS, so a wheel built with
# -march=native by an earlier run (which on Intel AMX CPUs segfaults on its first decode)
# would be reused silently. This script builds with --no-cache-dir and keeps its own wheels
# under a folder named by the hash of: version, flags, architecture, compiler, Python.
#
#   RAG_LLAMA_BUILD        portable (default) | native | cuda | metal
#   RAG_LLAMA_CMAKE_ARGS   extra CMake flags, appended (they are part of the hash too)
#   RAG_WHEEL_CACHE        where the flag-keyed wheels live
#                          (default: ~/.cache/rag-local/llama-wheels)
#
#   bash scripts/build_llama.sh [--print-flags | --wheel-only]
#
# --print-flags prints the CMake flags and stops; --wheel-only builds (or finds) the wheel
# and prints its path without installing it (the build benchmark uses this).
set -euo pipefail
cd "$(dirname "$0")/.."

version=0.3.36
build=${RAG_LLAMA_BUILD:-portable}
arch=$(uname -m)
amx_off="-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"

case "$build" in
portable)
    case "$arch" in
    x86_64 | amd64)
        if grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo \
            && grep -qw f16c /proc/cpuinfo; then
            # x86-64-v3 (Haswell, 2013, and later): AVX2, FMA, F16C; no AVX-512, no AMX
            flags="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
            flags+=" -DGGML_BMI2=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF"
            flags+=" -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF"
        else
            # older x86-64 without AVX2: SSE4.2 only
            flags="-DGGML_NATIVE=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF"
            flags+=" -DGGML_F16C=OFF -DGGML_BMI2=OFF -DGGML_AVX512=OFF"
        fi
        flags+=" $amx_off"
        ;;
    *)
        # ARM (Apple Silicon included) and others: llama.cpp's usual build; no AMX there
        flags=""
        ;;
    esac
    ;;
native) flags="-DGGML_NATIVE=ON $amx_off" ;;   # this CPU's features, AMX kept off (it crashes)
cuda) flags="-DGGML_CUDA=ON" ;;
metal) flags="-DGGML_METAL=ON" ;;
*)
    echo "setup: RAG_LLAMA_BUILD=$build is unknown; use portable, native, cuda or metal" >&2
    exit 2
    ;;
esac
flags="$flags ${RAG_LLAMA_CMAKE_ARGS:-}"
flags=$(echo "$flags" | xargs)   # one space between flags, none at the ends

if [ "${1:-}" = "--print-flags" ]; then
    echo "$flags"
    exit 0
fi

py=.venv/bin/python
compiler=$( (cc --version 2>/dev/null || echo none) | head -1)
pytag=$($py -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
cpu=""
# a native build only runs on CPUs with this one's features: key its wheel by them too
[ "$build" = native ] && cpu=$(grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || true)
key=$(printf '%s\n' "$version" "$flags" "$arch" "$compiler" "$pytag" ${cpu:+"$cpu"} | sha256sum | cut -c1-16)
marker=.venv/.llama-build

if [ "${1:-}" != "--wheel-only" ] && [ -f "$marker" ] && [ "$(cat "$marker")" = "$key" ] \
    && $py -c 'import llama_cpp' 2>/dev/null; then
    exit 0   # this exact build is installed already
fi

cache=${RAG_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rag-local/llama-wheels}
dir="$cache/$key"
wheel=$(ls "$dir"/llama_cpp_python-*.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ]; then
    echo "setup: compiling llama-cpp-python $version ($build build: ${flags:-default flags});" \
         "about 7 minutes on 2 cores, once per set of flags ..." >&2
    staging=$(mktemp -d "${TMPDIR:-/tmp}/rag-llama-wheel.XXXXXX")
    trap 'rm -rf "$staging"' EXIT
    CMAKE_ARGS="$flags" FORCE_CMAKE=1 $py -m pip wheel -q --disable-pip-version-check \
        --no-cache-dir --no-deps --no-binary llama-cpp-python \
        "llama-cpp-python==$version" -w "$staging"
    mkdir -p "$dir"
    printf 'version %s\nflags %s\narch %s\ncompiler %s\npython %s\n' \
        "$version" "$flags" "$arch" "$compiler" "$pytag" > "$staging/BUILD-INFO"
    for f in "$staging"/*.whl; do mv "$f" "$dir/"; done
    cp "$staging/BUILD-INFO" "$dir/"
    wheel=$(ls "$dir"/llama_cpp_python-*.whl | head -1)
fi
if [ "${1:-}" = "--wheel-only" ]; then
    echo "$wheel"
    exit 0
fi

# whatever llama-cpp-python is installed (from pip's cache, an older run, other flags) goes
$py -m pip uninstall -y -q llama-cpp-python >/dev/null 2>&1 || true
$py -m pip install -qq --disable-pip-version-check --no-cache-dir "$wheel"
echo "$key" > "$marker"
