"""Indexing progress as data: one event type, and the terminal's progress bar built on it.

`sync_index` reports through a `Progress` callback: an `IndexProgress` after each file is
read and after each group of files is embedded. The CLI draws it with tqdm (on a terminal
only), the chat page moves Gradio's progress bar with it (app_gradio.py); neither parses
log lines.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

READING = "reading"  # files read (PDF, DOCX and HTML parsed), before anything is embedded
EMBEDDING = "embedding"  # files whose chunks are embedded and stored


@dataclass(frozen=True)
class IndexProgress:
    stage: str  # READING or EMBEDDING
    files_done: int
    files_total: int
    chunks_embedded: int = 0  # so far in this run (EMBEDDING)
    source: str | None = None  # the file just read (READING)

    @property
    def share(self) -> float:
        """0..1 of the whole run: reading is counted as the first tenth.

        >>> IndexProgress(EMBEDDING, 3, 4).share
        0.775
        """
        done = self.files_done / self.files_total if self.files_total else 1.0
        return 0.1 * done if self.stage == READING else 0.1 + 0.9 * done


Progress = Callable[[IndexProgress], None]


def no_progress(_event: IndexProgress) -> None:
    pass


class TerminalProgress:
    """A tqdm bar per stage on stderr: files read, then files and chunks embedded, with an
    ETA. Nothing at all when stderr is not a terminal (logs and pipes stay clean)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._bar = None
        self._stage = None

    def __call__(self, event: IndexProgress) -> None:
        if not self.enabled or not event.files_total:
            return
        from tqdm import tqdm

        if event.stage != self._stage:
            self.close()
            self._stage = event.stage
            self._bar = tqdm(total=event.files_total, desc=event.stage.capitalize(), unit="file",
                             file=self.stream, leave=False, dynamic_ncols=True)
        if event.stage == EMBEDDING:
            self._bar.set_postfix_str(f"{event.chunks_embedded} chunks", refresh=False)
        elif event.source:
            self._bar.set_postfix_str(event.source[-40:], refresh=False)
        self._bar.update(event.files_done - self._bar.n)  # update(), not n=: tqdm's rate and ETA
        self._bar.refresh()  # every event shows, however fast they come
        if event.files_done >= event.files_total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar, self._stage = None, None
