"""The text extracted from PDF, DOCX and HTML files, kept in the index folder.

    index/texts/<sha256 of the file>.json   {"extractor": 1, "text": ..., "pages": [...],
                                             "empty_pages": [...], "sections": [[line, path]]}

The index, the chunks' line spans and quote verification all refer to this text, so a
question never re-parses a binary file: verification hashes the file as it is now and
reads the text stored under that hash (a file changed since indexing has none, so its
quotes are not shown as current). Entries are keyed by content, so a renamed or re-added
file is not parsed again; each is written atomically (temporary file, then rename), and
entries no file of the index refers to go after each save (`prune`).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .formats import EXTRACTOR_VERSION, Extracted

FOLDER = "texts"
_NAME = re.compile(r"[0-9a-f]{64}\.json")


class TextCache:
    def __init__(self, index_dir: str | os.PathLike):
        self.folder = Path(index_dir) / FOLDER

    def get(self, sha256: str) -> Extracted | None:
        """The stored text of the file with this hash; None if there is none (or it is damaged,
        or from another version of the extractor: then the file is parsed again)."""
        try:
            data = json.loads((self.folder / f"{sha256}.json").read_text(encoding="utf-8"))
            if data.get("extractor") != EXTRACTOR_VERSION:
                return None
            return Extracted.from_dict(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, sha256: str, extracted: Extracted) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{sha256}.json"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps({"extractor": EXTRACTOR_VERSION, **extracted.to_dict()},
                                  ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    def prune(self, keep: set[str]) -> None:
        """Remove the entries (and leftover temporary files) of hashes not in `keep`."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            stale = _NAME.fullmatch(path.name) and path.name[:-5] not in keep
            if stale or path.name.endswith(".json.tmp"):
                try:
                    path.unlink()
                except OSError:
                    pass
