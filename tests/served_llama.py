"""llama-cpp-python's own OpenAI-compatible server (`python -m llama_cpp.server`) in a child
process on a free port, for the slow tests and benchmarks/bench_model_server.py."""
import contextlib
import subprocess
import sys
import time
from pathlib import Path

from local_ports import free_port


@contextlib.contextmanager
def served_llama(gguf: Path, log: Path, n_ctx: int = 2048, threads: int = 1, start_seconds: float = 120):
    """Yields the server's base URL (…/v1) once GET /v1/models answers; stops it after.

    One thread each for answering and reading prompts, as rag runs the model on 2 cores
    (config.llama_threads), so the two read prompts alike."""
    import httpx

    port = free_port()
    with Path(log).open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(threads),
             "--n_threads_batch", str(threads)], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            assert server.poll() is None, f"llama_cpp.server exited:\n{Path(log).read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"llama_cpp.server did not start within {start_seconds:g} s"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
