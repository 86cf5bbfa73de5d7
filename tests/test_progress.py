"""Indexing progress: events from sync_index, drawn by tqdm on a terminal only."""
import io

from rag.config import Settings
from rag.indexing import sync_index
from rag.progress import EMBEDDING, READING, IndexProgress, TerminalProgress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_sync_index_reports_each_file_read_then_the_chunks_embedded(seeds_copy, tmp_path, embedder):
    events = []
    store, report = sync_index(seeds_copy, tmp_path / "idx", embedder, Settings(), progress=events.append)
    reading = [e for e in events if e.stage == READING]
    assert [(e.files_done, e.files_total) for e in reading] == [(1, 2), (2, 2)]
    assert {e.source for e in reading} == set(report.added)
    last = events[-1]
    assert last.stage == EMBEDDING and (last.files_done, last.files_total) == (2, 2)
    assert last.chunks_embedded == report.chunks_embedded and last.share == 1.0


def test_the_bar_shows_files_and_chunks_on_a_terminal_and_nothing_elsewhere(seeds_copy, tmp_path, embedder):
    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        bar = TerminalProgress(stream)
        sync_index(seeds_copy, tmp_path / f"idx{id(stream)}", embedder, Settings(), progress=bar)
    shown = terminal.getvalue()
    assert "Reading" in shown and "Embedding" in shown and "2/2" in shown and "chunks" in shown
    assert pipe.getvalue() == ""


def test_share_counts_reading_as_the_first_tenth():
    assert IndexProgress(READING, 1, 2).share == 0.05
    assert IndexProgress(EMBEDDING, 0, 2).share == 0.1
