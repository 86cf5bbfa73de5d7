"""Named collections (rag/collections.py), with the fake models: each answers from its own
folder, the default stays `index` over seeds/, and bad or unknown names fail with the fix."""
import json
import sys
from pathlib import Path

import pytest

from fakes import HashingEmbedder, ScriptedGenerator
from rag import Assistant, CollectionError, list_collections
from rag.cli import main as real_main
from rag.collections import ROOT_ENV

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import app_gradio  # noqa: E402

SCRIPT = {"kill command send": "a signal", "backups run every night": "14 days"}
KILL = "What does the kill command send to a process?"
BACKUPS = "For how many days are backups run every night kept?"
FOLDERS = {"seeds": ("seed.txt", "The seed document talks about migration in Central Asia."),
           "notes": ("kill.txt", "The kill command sends a signal to a process."),
           "work": ("backups.txt", "Backups run every night at 02:00 and are kept for 14 days.")}


def open_with_fakes(*args, **kwargs):
    return Assistant.open(*args, embedder=HashingEmbedder(), generator=ScriptedGenerator(SCRIPT), **kwargs)


def rag(*argv) -> int:
    return real_main(list(argv), open_assistant=open_with_fakes)


@pytest.fixture(autouse=True)
def folders(tmp_path, monkeypatch) -> Path:
    """A working folder holding seeds/, notes/ and work/, with no collections yet."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ROOT_ENV, raising=False)
    for folder, (name, text) in FOLDERS.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text(text + "\n")
    return tmp_path


def sources(index) -> list[str]:
    return sorted(json.loads((Path(index) / "manifest.json").read_text())["files"])


def test_two_collections_answer_from_their_own_documents(tmp_path):
    notes = open_with_fakes("notes", collection="notes")
    work = open_with_fakes("work", collection="work")
    assert (notes.collection, notes.index_dir) == ("notes", Path("collections/notes"))
    assert sources("collections/notes") == ["kill.txt"] and sources("collections/work") == ["backups.txt"]

    answer = notes.ask(KILL)
    assert answer.short_answer == "a signal" and {e.source for e in answer.evidence} == {"kill.txt"}
    answer = work.ask(BACKUPS)
    assert answer.short_answer == "14 days" and {e.source for e in answer.evidence} == {"backups.txt"}
    assert {h.chunk.source for h in work.search(KILL)} == {"backups.txt"}

    # opened again by name alone: the documents folder recorded when it was built
    again = open_with_fakes(collection="notes", update=False)
    assert again.docs.resolve() == (tmp_path / "notes").resolve()
    assert again.ask(KILL).short_answer == "a signal"


def test_the_default_collection_stays_index_over_seeds(tmp_path):
    open_with_fakes("notes", collection="notes")
    for collection in (None, "default"):
        assistant = open_with_fakes(collection=collection)
        assert (assistant.collection, assistant.index_dir) == ("default", Path("index"))
        assert assistant.docs.resolve() == (tmp_path / "seeds").resolve()
    assert sources("index") == ["seed.txt"] and sources("collections/notes") == ["kill.txt"]
    # the default collection is whatever --index says
    assert open_with_fakes(index="elsewhere", collection="default").index_dir == Path("elsewhere")


def test_the_collections_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(ROOT_ENV, str(tmp_path / "shelf"))
    assert rag("index", "notes", "--collection", "notes") == 0
    assert sources(tmp_path / "shelf" / "notes") == ["kill.txt"] and not (tmp_path / "collections").exists()
    assert [c.name for c in list_collections()] == ["default", "notes"]


@pytest.mark.parametrize("name", ["../x", "", "a/b", ".hidden", "-x", "x" * 65, "two words", 7])
def test_names_that_are_not_a_plain_folder_name_are_refused_with_the_fix(name, tmp_path):
    with pytest.raises(CollectionError, match=r"can't be used: .* \(e\.g\. --collection notes\)"):
        open_with_fakes("notes", collection=name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", "seeds", "work"], "nothing was written"


def test_an_unknown_collection_says_how_to_create_it(tmp_path, capsys):
    with pytest.raises(CollectionError, match=r"^collection 'work' doesn't exist yet; create it with: "
                                              r"rag index DOCS --collection work$"):
        open_with_fakes(collection="work")
    assert rag("ask", BACKUPS, "--collection", "work") == 2
    assert capsys.readouterr().err == ("rag: error: collection 'work' doesn't exist yet; create it with: "
                                       "rag index DOCS --collection work\n")
    assert not (tmp_path / "collections").exists() and not (tmp_path / "index").exists()


def test_collection_and_an_index_that_disagrees_is_an_error(tmp_path, capsys):
    assert rag("index", "notes", "--collection", "notes", "--index", "idx") == 2
    assert "collection 'notes' keeps its index in collections/notes, but --index says idx; give one of the two" \
        in capsys.readouterr().err
    assert not (tmp_path / "idx").exists() and not (tmp_path / "collections").exists()
    # the collection's own folder, given both ways, is no disagreement
    assert rag("index", "notes", "--collection", "notes", "--index", str(tmp_path / "collections" / "notes")) == 0


def test_cli_creates_uses_and_lists_collections(tmp_path, capsys):
    assert rag("index", "work", "--collection", "zeta") == 0
    assert rag("index", "notes", "--collection", "alpha") == 0
    capsys.readouterr()
    assert rag("search", "kill command signal", "--collection", "alpha") == 0
    assert "kill.txt" in capsys.readouterr().out
    assert rag("collections", "--json") == 0
    listed = json.loads(capsys.readouterr().out)["collections"]
    assert [c["name"] for c in listed] == ["default", "alpha", "zeta"]
    assert set(listed[0]) == {"name", "index", "docs", "files", "chunks", "updated_at", "problem"}
    default, alpha, _zeta = listed
    assert default == {"name": "default", "index": "index", "docs": "seeds", "files": 0, "chunks": 0,
                       "updated_at": None, "problem": None}, "the default is listed before it is built"
    assert alpha["index"] == str(Path("collections/alpha")) and alpha["docs"] == str((tmp_path / "notes").resolve())
    assert (alpha["files"], alpha["chunks"], alpha["problem"]) == (1, 1, None) and alpha["updated_at"]
    assert rag("collections") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "FILES", "CHUNKS", "UPDATED", "DOCUMENTS"]
    assert lines[2].split()[:3] == ["alpha", "1", "1"] and lines[2].endswith(str((tmp_path / "notes").resolve()))


def test_a_damaged_collection_is_listed_with_its_problem(tmp_path, capsys):
    for name in ("broken", "notes"):
        open_with_fakes("notes", collection=name)
    (tmp_path / "collections" / "broken" / "manifest.json").write_text("{not json")
    (tmp_path / "collections" / "half").mkdir()  # a first build killed before its first save
    (tmp_path / "collections" / "stray.txt").write_text("not a collection")
    found = {c.name: c for c in list_collections()}
    assert list(found) == ["default", "broken", "half", "notes"]
    assert "manifest.json is unreadable" in found["broken"].problem and found["broken"].files == 0
    assert found["half"].problem == "it holds no index yet; build it with: rag index DOCS --collection half"
    assert found["notes"].problem is None and found["notes"].files == 1
    assert rag("collections") == 0
    assert "(problem: collections/broken/manifest.json is unreadable" in capsys.readouterr().out
    with pytest.raises(CollectionError, match=r"its manifest is damaged\); pass the folder with --docs DIR"):
        open_with_fakes(collection="broken")


def test_a_collection_whose_documents_moved_is_listed_with_its_problem(tmp_path):
    open_with_fakes("notes", collection="notes")
    (tmp_path / "notes").rename(tmp_path / "moved")
    notes = list_collections()[1]
    assert notes.problem == (f"its documents folder {(tmp_path / 'notes').resolve()} no longer exists; "
                             f"point it at where they are now: rag index DIR --collection notes")


def test_another_collection_opens_with_the_models_already_loaded():
    first = open_with_fakes("notes", collection="notes")
    second = Assistant.open("work", collection="work", embedder=first.embedder, generator=first.generator)
    assert second.embedder is first.embedder and second.generator is first.generator
    assert second.ask(BACKUPS).short_answer == "14 days"


def test_the_chat_opens_the_collection_it_is_given(capsys):
    open_with_fakes("notes", collection="notes")
    capsys.readouterr()
    assistant = app_gradio.start(app_gradio.parse_args(["--collection", "notes"]), open_assistant=open_with_fakes)
    assert assistant.collection == "notes" and sources("collections/notes") == ["kill.txt"]
    assert "app_gradio: collection: notes (index in collections/notes)" in capsys.readouterr().err
