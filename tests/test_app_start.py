"""The chat page's start-up, with the fake models: which documents an index belongs to.

`rag index ~/notes` and then `python app_gradio.py` must serve the notes, not re-sync the
index to seeds/: the app and the CLI share one rule (rag.opening.documents_folder).
"""
import json
import sys
from pathlib import Path

import pytest

from fakes import HashingEmbedder, ScriptedGenerator
from rag import Assistant, DocumentsError
from rag.cli import main as rag_main

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import app_gradio  # noqa: E402


def open_with_fakes(*args, **kwargs):
    return Assistant.open(*args, embedder=HashingEmbedder(), generator=ScriptedGenerator({}), **kwargs)


@pytest.fixture
def notes_index(tmp_path, monkeypatch):
    """`rag index notes` run in a folder that also has a seeds/ the app must not pick."""
    monkeypatch.chdir(tmp_path)
    for folder, name, text in (("notes", "kill.txt", "kill sends a signal to a process."),
                               ("seeds", "other.txt", "Something else entirely.")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text(text)
    assert rag_main(["index", "notes", "--index", "idx"], open_assistant=open_with_fakes) == 0
    return tmp_path / "idx"


def _sources(index: Path) -> list[str]:
    return sorted(json.loads((index / "manifest.json").read_text())["files"])


def test_app_serves_the_folder_the_index_was_built_from_and_says_so(notes_index, tmp_path, capsys):
    capsys.readouterr()
    assistant = app_gradio.start(app_gradio.parse_args(["--index", "idx"]), open_assistant=open_with_fakes)
    assert assistant.docs.resolve() == (tmp_path / "notes").resolve()
    assert _sources(notes_index) == ["kill.txt"], "the notes stay in the index"
    err = capsys.readouterr().err
    assert f"app_gradio: documents: {(tmp_path / 'notes').resolve()} (the folder the index in 'idx' was built from)" \
        in err


def test_cli_follows_the_same_rule(notes_index, tmp_path, capsys):
    capsys.readouterr()
    assert rag_main(["search", "signal", "--index", "idx"], open_assistant=open_with_fakes) == 0
    assert "kill.txt" in capsys.readouterr().out
    assert _sources(notes_index) == ["kill.txt"]


def test_docs_given_repoints_the_index_and_says_which_files_leave(notes_index, tmp_path, capsys):
    capsys.readouterr()
    assistant = app_gradio.start(app_gradio.parse_args(["--index", "idx", "--docs", "seeds"]),
                                 open_assistant=open_with_fakes)
    assert assistant.docs == Path("seeds") and _sources(notes_index) == ["other.txt"]
    err = capsys.readouterr().err
    assert "documents: seeds (as given; the index was built from" in err and "leave it" in err


def test_a_new_index_takes_the_seeds_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("A seed document.")
    assistant = app_gradio.start(app_gradio.parse_args([]), open_assistant=open_with_fakes)
    assert assistant.docs == Path("seeds")
    assert "documents: seeds (no index in 'index' yet, so the bundled example documents)" in capsys.readouterr().err


def test_a_recorded_folder_that_is_gone_is_an_error_not_a_switch(notes_index, tmp_path):
    (tmp_path / "notes").rename(tmp_path / "moved")
    with pytest.raises(DocumentsError, match="no longer exists"):
        app_gradio.start(app_gradio.parse_args(["--index", "idx"]), open_assistant=open_with_fakes)
    assert _sources(notes_index) == ["kill.txt"]
