"""Parsers that misbehave, run in the parse child process in place of rag.formats.extract_file
(through LoadingSettings.parser): a file named hang.* loops forever, crash.* kills the process
the way a segfault in a native parser would, explode.* allocates without end, bug.* raises;
any other file is parsed normally."""
import os
from pathlib import Path

from rag.formats import extract_file


def by_name(path: str, kind: str):
    stem = Path(path).stem
    if stem == "hang":
        while True:
            pass
    if stem == "crash":
        os.kill(os.getpid(), 11)  # SIGSEGV, as a crashing C library would
    if stem == "explode":  # a decompression buffer sized from a forged header
        return bytearray(8_000_000_000)
    if stem == "bug":
        raise ValueError("a parser bug")
    return extract_file(path, kind)
