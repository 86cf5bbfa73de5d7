"""The collections a chat app serves, each opened once per process and all answering with
the models of the first one, so a second collection loads no model again.

Each browser tab picks its collection; the Assistants are shared by every tab, as one
Assistant always was. `lister()` says which collections exist (name and, if it can't be
used, why: collections.CollectionInfo), `opener(name, first)` opens one. This module holds
no page logic and reads no files itself.
"""
from __future__ import annotations

import threading

from .errors import ConfigError


class OpenCollections:
    def __init__(self, first, lister=None, opener=None):
        self.first = first
        self.default = getattr(first, "collection", "default")
        self._open = {self.default: first}
        self._lister = lister or (lambda: [])
        self._opener = opener
        self._lock = threading.Lock()  # one collection opened at a time

    def names(self) -> list[str]:
        """The collections a tab can switch to: those open, then those listed without a problem."""
        listed = [info.name for info in self._lister() if info.problem is None]
        return [*self._open, *(name for name in listed if name not in self._open)]

    def get(self, name: str | None = None):
        """The Assistant of collection `name` (None: the first one), opened on first use."""
        name = name or self.default
        opened = self._open.get(name)
        if opened is not None:
            return opened
        with self._lock:
            if name not in self._open:
                info = next((i for i in self._lister() if i.name == name), None)
                if info is None or self._opener is None:
                    raise ConfigError(f"collection {name!r} is not served by this app; choose one of "
                                      f"{', '.join(self.names())}")
                if info.problem:
                    raise ConfigError(f"collection {name!r} can't be opened: {info.problem}")
                self._open[name] = self._opener(name, self.first)
            return self._open[name]
