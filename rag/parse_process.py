"""Parse documents in a child process with a time limit and a memory limit.

PDF, DOCX and HTML parsers are large native libraries fed files from anywhere: one that
loops, inflates or crashes must cost one file, never the indexing run or the chat app.
So `ParserProcess` keeps one spawned worker (started on the first file, reused for the
next ones: a process per file would cost a Python start each) whose address space is
capped with RLIMIT_AS; a parse that takes longer than the time limit gets the worker
killed, and a worker that dies is replaced for the next file. Each outcome is an
`Extracted` or a one-line reason. This module knows nothing of formats: the worker calls
`parser` ("module:function", formats.extract_file unless a test swaps in another).
"""
from __future__ import annotations

import importlib
import multiprocessing
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
        self._process = None
        self._conn = None

    def parse(self, path: str, kind: str) -> Extracted | str:
        """The file's text, or why it can't be read (and what to do)."""
        if self._process is None or not self._process.is_alive():
            self._start()
        try:
            self._conn.send((str(path), kind))
            if not self._conn.poll(self.timeout):
                self._stop()
                return (f"parsing took longer than {self.timeout:g} s, so it was stopped; the file may be "
                        f"damaged or built to hang parsers (raise loading.parse_seconds if it is just large)")
            status, value = self._conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            code = self._stop()
            return (f"the parser crashed on this file (exit code {code}); the file is damaged or "
                    f"hostile, or it needs more than {self.memory_mb} MB (loading.parse_memory_mb)")
        return Extracted.from_dict(value) if status == "ok" else value

    def _start(self) -> None:
        # spawn, not fork: the app runs threads, and a forked child inherits their locks
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.parser, self.memory_mb),
                                         daemon=True, name="rag-parser")
        self._process.start()
        child.close()

    def _stop(self) -> int | None:
        if self._process is None:
            return None
        if self._process.is_alive():
            self._process.kill()
        self._process.join(5)
        code = self._process.exitcode
        self._conn.close()
        self._process = self._conn = None
        return code

    def close(self) -> None:
        if self._process is not None and self._process.is_alive():
            try:
                self._conn.send(None)  # asks the worker to exit
                self._process.join(2)
            except OSError:
                pass
        self._stop()

    def __enter__(self) -> "ParserProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _serve(conn, parser: str, memory_mb: int) -> None:
    """The worker's loop: (path, kind) in, ("ok", text dict) or ("error", reason) out."""
    import resource

    module, _, name = parser.partition(":")
    parse = getattr(importlib.import_module(module), name)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            conn.send(("ok", parse(*request).to_dict()))
        except Unreadable as exc:
            conn.send(("error", str(exc)))
        except MemoryError:
            conn.send(("error", f"needs more than {memory_mb} MB of memory to parse; the file may be "
                                f"hostile (raise loading.parse_memory_mb if it is just large)"))
        except OSError as exc:
            conn.send(("error", f"unreadable ({exc.strerror or exc}); check the file"))
        except Exception as exc:  # any parser bug: this file is skipped, the worker goes on
            where = traceback.extract_tb(exc.__traceback__)[-1]
            conn.send(("error", f"the parser failed on this file ({type(exc).__name__}: {exc} at "
                                f"{where.filename.rsplit('/', 1)[-1]}:{where.lineno}); the file may be damaged"))
