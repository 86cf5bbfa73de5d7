"""The collections a chat app serves, each opened once per process and all answering with
the models of the first one, so a second collection loads no model again.

Each browser tab picks its collection; the Assistants are shared by every tab, as one
Assistant always was. `lister()` says which collections exist (collections.CollectionInfo:
a name, its index folder and, if it can't be used, why), `opener(info, first)` opens one;
`serving(first, index)` makes both from the collections on disk. This module holds no page
logic and reads no files itself.
"""
from __future__ import annotations

import threading
import time

from .chat_page import assistant_collection
from .errors import CollectionError

LIST_SECONDS = 10.0  # how long a listing of the collections is reused (it reads each manifest)


class OpenCollections:
    def __init__(self, first, lister=None, opener=None):
        self.first = first
        self.default = assistant_collection(first)
        self._open = {self.default: first}
        self._lister = lister or (lambda: [])
        self._opener = opener
        self._lock = threading.Lock()  # one collection opened at a time
        self._listed: tuple[float, list] = (-LIST_SECONDS, [])

    def listed(self) -> list:
        """The collections on disk (a listing at most LIST_SECONDS old)."""
        when, infos = self._listed
        if time.monotonic() - when >= LIST_SECONDS:
            infos = list(self._lister())
            self._listed = (time.monotonic(), infos)
        return infos

    def names(self) -> list[str]:
        """The collections a tab can switch to: those open, then those listed without a problem."""
        usable = [info.name for info in self.listed() if info.problem is None]
        return [*self._open, *(name for name in usable if name not in self._open)]

    def get(self, name: str | None = None):
        """The Assistant of collection `name` (None: the first one), opened on first use;
        CollectionError says why one can't be."""
        name = name or self.default
        opened = self._open.get(name)
        if opened is not None:
            return opened
        with self._lock:
            if name not in self._open:
                self._listed = (-LIST_SECONDS, [])  # it may have been made since
                info = next((i for i in self.listed() if i.name == name), None)
                if info is None or self._opener is None:
                    raise CollectionError(f"collection {name!r} is not served by this app (it serves "
                                          f"{', '.join(self.names())}); create it with: rag index DOCS "
                                          f"--collection {name}")
                if info.problem:
                    raise CollectionError(f"collection {name!r} can't be opened: {info.problem}")
                self._open[name] = self._opener(info, self.first)
            return self._open[name]


def serving(first, index, log=lambda _line: None) -> OpenCollections:
    """`first` and every other collection next to it (the default one in `index`, the named
    ones in the collections folder), each opened and updated on first use with `first`'s
    settings and models."""
    from .collections import list_collections
    from .pipeline import Assistant

    def opener(info, first):
        log(f"opening the collection {info.name} ...")
        opened = Assistant.open(None, info.index, collection=info.name, settings=first.settings,
                                embedder=first.embedder, generator=first.generator, log=log)
        opened.use_models_of(first)
        return opened

    return OpenCollections(first, lambda: list_collections(index), opener)
