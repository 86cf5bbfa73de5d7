"""Parse documents in a child process with a time limit and a memory limit.

PDF, DOCX and HTML parsers are large native libraries fed files from anywhere: one that
loops, inflates or crashes must cost one file, never the indexing run or the chat app.
So `ParserProcess` keeps one worker (a Python running `serve`, started on the first
file and reused for the next ones: a process per file would pay a Python start each)
whose address space is capped with RLIMIT_AS; a parse that takes longer than the time
limit gets the worker killed, and a worker that dies is replaced for the next file. Each
outcome is an `Extracted` or a one-line reason. A plain subprocess, not multiprocessing:
its spawn re-imports the parent's main module (the whole Gradio app) in every worker.
Requests and replies are JSON lines on the worker's stdin and a private copy of its
stdout (what a parser prints goes to stderr). This module knows nothing of formats: the
worker calls `parser` ("module:function", formats.extract_file unless a test swaps one in).
"""
from __future__ import annotations

import importlib
import json
import os
import select
import subprocess
import sys
import traceback

from .formats import Extracted, Unreadable

DEFAULT_PARSER = "rag.formats:extract_file"


class ParserProcess:
    """One child process that parses files on request; a context manager, closed on exit.

    >>> with ParserProcess(timeout=30, memory_mb=1024) as parser:
    ...     parser.parse("no/such/file.pdf", "pdf")
    'unreadable (No such file or directory); check the file'
    """

    def __init__(self, timeout: float, memory_mb: int, parser: str = DEFAULT_PARSER):
        self.timeout, self.memory_mb, self.parser = timeout, memory_mb, parser
        self._process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def parse(self, path: str, kind: str) -> Extracted | str:
        """The file's text, or why it can't be read (and what to do)."""
        value = self.call(str(path), kind)
        return value if isinstance(value, str) else Extracted.from_dict(value)

    def call(self, *args) -> dict | str:
        """Run the worker's function on `args` (JSON values): its result as a dict, or why it
        failed. parse() is this with the Extracted decoded; page_image.py renders pages so."""
        if self._process is None or self._process.poll() is not None:
            self._start()
        process = self._process
        try:
            process.stdin.write(json.dumps(list(args)).encode() + b"\n")
            process.stdin.flush()
            ready, _, _ = select.select([process.stdout], [], [], self.timeout)
            if not ready:
                self._stop()
                return (f"parsing took longer than {self.timeout:g} s, so it was stopped; the file may be "
                        f"damaged or built to hang parsers (raise loading.parse_seconds if it is just large)")
            line = process.stdout.readline()
        except OSError:  # BrokenPipeError: the worker died before reading the request
            line = b""
        if not line:
            code = self._stop()
            return (f"the parser crashed on this file (exit code {code}); the file is damaged or "
                    f"hostile, or it needs more than {self.memory_mb} MB (loading.parse_memory_mb)")
        status, value = json.loads(line)
        return value

    def _start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p or os.getcwd() for p in sys.path)}
        self._process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from rag.parse_process import serve; serve(*sys.argv[1:])",
             self.parser, str(self.memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def _stop(self) -> int | None:
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.kill()
        code = process.wait()
        for pipe in (process.stdin, process.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        return code

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            try:
                self._process.stdin.close()  # end of requests: the worker exits
                self._process.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()

    def __enter__(self) -> "ParserProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def serve(parser: str, memory_mb: int | str) -> None:
    """The worker's loop: [path, kind] (or another function's arguments) in, ["ok", text
    dict (or the function's dict)] or ["error", reason] out."""
    import resource

    memory_mb = int(memory_mb)
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever a parser prints must not break the replies
    module, _, name = parser.partition(":")
    parse = getattr(importlib.import_module(module), name)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for request in sys.stdin:
        try:
            result = parse(*json.loads(request))
            reply = ["ok", result.to_dict() if isinstance(result, Extracted) else result]
        except Unreadable as exc:
            reply = ["error", str(exc)]
        except MemoryError:
            reply = ["error", f"needs more than {memory_mb} MB of memory to parse; the file may be "
                              f"hostile (raise loading.parse_memory_mb if it is just large)"]
        except OSError as exc:
            reply = ["error", f"unreadable ({exc.strerror or exc}); check the file"]
        except Exception as exc:  # any parser bug: this file is skipped, the worker goes on
            where = traceback.extract_tb(exc.__traceback__)[-1]
            reply = ["error", f"the parser failed on this file ({type(exc).__name__}: {exc} at "
                              f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno}); the file may be damaged"]
        replies.write(json.dumps(reply, ensure_ascii=False) + "\n")
        replies.flush()
