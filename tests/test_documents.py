"""Uploads, listing, removal and restoring of documents, through the Assistant (fake models)."""
import pytest

from fakes import ScriptedGenerator
from rag import Assistant, DocumentsError
from rag.documents import safe_file_name

NEW = "date 2024-05-10\nThe chief engineer of the Aral Sea restoration project is Dilnoza Karimova.\n"
ENGINEER_Q = "Who is the chief engineer of the Aral Sea restoration project?"


@pytest.fixture
def assistant(seeds_copy, tmp_path, embedder):
    generator = ScriptedGenerator({"chief engineer": "Dilnoza Karimova"})
    return Assistant.open(seeds_copy, tmp_path / "idx", embedder=embedder, generator=generator)


@pytest.fixture
def uploads(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


def test_documents_lists_name_date_chunks_and_size(assistant, seeds_copy):
    docs = {d.source: d for d in assistant.documents()}
    assert sorted(docs) == ["000_dc7361d3392e1266.txt", "003_064eea4f1c13281f.txt"]
    minister = docs["003_064eea4f1c13281f.txt"]
    assert minister.date == "2024-04-02" and minister.chunks >= 1
    assert minister.size == (seeds_copy / "003_064eea4f1c13281f.txt").stat().st_size


def test_upload_adds_readable_files_and_refuses_the_others_with_a_reason(assistant, uploads, seeds_copy):
    (uploads / "aral.txt").write_text(NEW, encoding="utf-8")
    (uploads / "scan.pdf").write_bytes(b"%PDF-1.4")
    (uploads / "nul.txt").write_bytes(b"a\x00b")
    (uploads / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (uploads / "empty.txt").write_text("date 2024-01-01\n  \n")
    assert assistant.ask(ENGINEER_Q).abstained
    added, report = assistant.add_documents(sorted(uploads.iterdir()))
    outcome = {a.name: a for a in added}
    assert outcome["aral.txt"].saved_as == "aral.txt" and report.added == ["aral.txt"]
    assert "truncated" in outcome["scan.pdf"].message
    assert "binary" in outcome["nul.txt"].message
    assert "only .txt, .md" in outcome["photo.png"].message and ".pdf" in outcome["photo.png"].message
    assert "empty" in outcome["empty.txt"].message
    assert sorted(p.name for p in seeds_copy.iterdir()) == [
        "000_dc7361d3392e1266.txt", "003_064eea4f1c13281f.txt", "aral.txt"], "refused files are not copied"
    answer = assistant.ask(ENGINEER_Q)
    assert answer.text == "Dilnoza Karimova" and answer.citations[0].source == "aral.txt"


def test_upload_never_overwrites_a_different_file(assistant, uploads, seeds_copy):
    (uploads / "003_064eea4f1c13281f.txt").write_text(NEW, encoding="utf-8")
    original = (seeds_copy / "003_064eea4f1c13281f.txt").read_bytes()
    (added,), report = assistant.add_documents([uploads / "003_064eea4f1c13281f.txt"])
    assert added.saved_as == "003_064eea4f1c13281f-2.txt" and "renamed from" in added.message
    assert (seeds_copy / "003_064eea4f1c13281f.txt").read_bytes() == original
    again, report = assistant.add_documents([uploads / "003_064eea4f1c13281f.txt"])
    assert again[0].message.startswith("already in the folder") and not report.changed


def test_upload_with_only_refused_files_leaves_the_index_alone(assistant, uploads):
    (uploads / "x.docx").write_bytes(b"PK")
    generation = assistant.store.manifest.generation
    added, report = assistant.add_documents([uploads / "x.docx"])
    assert report is None and added[0].saved_as is None
    assert assistant.store.manifest.generation == generation


@pytest.mark.parametrize("name,safe", [("../../x.txt", "x.txt"), (".hidden.md", "hidden.md"),
                                       ("a/b\\c:d.TXT", "c_d.txt"), ("\u00e9t\u00e9 2024.txt", "\u00e9t\u00e9 2024.txt"),
                                       ("x" * 300 + ".txt", "x" * 116 + ".txt"), ("", "document")])
def test_safe_file_names(name, safe):
    assert safe_file_name(name) == safe


def test_remove_takes_the_document_out_of_the_index_and_keeps_the_file_aside(assistant, uploads, seeds_copy):
    (uploads / "aral.txt").write_text(NEW, encoding="utf-8")
    assistant.add_documents([uploads / "aral.txt"])
    assert not assistant.ask(ENGINEER_Q).abstained
    report = assistant.remove_document("aral.txt")
    assert report.removed == ["aral.txt"] and "aral.txt" not in assistant.store.sources
    assert (seeds_copy / ".removed" / "aral.txt").read_text(encoding="utf-8") == NEW
    assert assistant.ask(ENGINEER_Q).abstained
    assert "aral.txt" not in [d.source for d in assistant.documents()]


def test_remove_refuses_unknown_names_paths_outside_and_the_last_document(assistant, seeds_copy):
    with pytest.raises(DocumentsError, match="not in the index"):
        assistant.remove_document("../etc/passwd")
    assistant.remove_document("000_dc7361d3392e1266.txt")
    with pytest.raises(DocumentsError, match="only document"):
        assistant.remove_document("003_064eea4f1c13281f.txt")
    assert (seeds_copy / "003_064eea4f1c13281f.txt").is_file()


def test_indexing_progress_events_drive_the_progress_bar_to_the_end(assistant, uploads):
    (uploads / "aral.txt").write_text(NEW, encoding="utf-8")
    events = []
    assistant.add_documents([uploads / "aral.txt"], progress=events.append)
    shares = [e.share for e in events]
    assert [e.stage for e in events][0] == "reading" and events[-1].stage == "embedding"
    assert shares[-1] == 1.0 and shares == sorted(shares)
    assert events[-1].chunks_embedded >= 1 and events[-1].files_total == 1


def test_removing_a_linked_document_moves_the_link_not_the_file_it_points_to(tmp_path):
    from rag.documents import remove_file

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "real.txt").write_text("Real text.")
    (docs / "alias.txt").symlink_to("real.txt")
    moved = remove_file(docs, "alias.txt", ["alias.txt", "real.txt"])
    assert moved.is_symlink() and moved.name == "alias.txt"
    assert (docs / "real.txt").read_text() == "Real text." and not (docs / "alias.txt").exists()
    (docs / "gone.txt").symlink_to("missing.txt")  # a broken link is still the thing to move
    assert remove_file(docs, "gone.txt", ["gone.txt"]).is_symlink()
    (tmp_path / "outside.txt").write_text("Not ours.")
    with pytest.raises(DocumentsError, match="outside"):
        remove_file(docs, "../outside.txt", ["../outside.txt"])
    assert (tmp_path / "outside.txt").exists()


def test_a_removed_document_is_listed_and_restored_to_where_it_was(assistant, uploads, seeds_copy):
    (uploads / "aral.txt").write_text(NEW, encoding="utf-8")
    assistant.add_documents([uploads / "aral.txt"])
    assistant.remove_document("aral.txt")
    assert assistant.removed_documents() == ["aral.txt"]
    report = assistant.restore_document("aral.txt")
    assert report.added == ["aral.txt"] and (seeds_copy / "aral.txt").read_text(encoding="utf-8") == NEW
    assert assistant.removed_documents() == [] and not assistant.ask(ENGINEER_Q).abstained
    with pytest.raises(DocumentsError, match="not among the removed documents"):
        assistant.restore_document("aral.txt")
    with pytest.raises(DocumentsError, match="not among the removed documents"):
        assistant.restore_document("../003_064eea4f1c13281f.txt")


def test_restoring_keeps_a_subfolder_and_never_overwrites_a_different_file(tmp_path):
    from rag.config import LoadingSettings
    from rag.documents import list_removed, remove_file, restore_file

    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "sub" / "a.txt").write_text("first")
    remove_file(docs, "sub/a.txt", ["sub/a.txt"])
    assert list_removed(docs, LoadingSettings()) == ["sub/a.txt"]
    (docs / "sub" / "a.txt").write_text("a new one")
    assert restore_file(docs, "sub/a.txt") == "sub/a-2.txt"
    assert (docs / "sub" / "a.txt").read_text() == "a new one" and (docs / "sub" / "a-2.txt").read_text() == "first"
    remove_file(docs, "sub/a-2.txt", ["sub/a-2.txt"])
    (docs / "sub" / "a-2.txt").write_text("first")  # put back by hand meanwhile: the copy aside goes
    assert restore_file(docs, "sub/a-2.txt") == "sub/a-2.txt" and list_removed(docs, LoadingSettings()) == []


def test_example_questions_come_from_the_seed_set_when_the_seeds_are_loaded(assistant):
    examples = assistant.example_questions()
    assert len(examples) == 4 and "Who is the Minister of Foreign Affairs of Turkmenistan?" in examples
    assert examples[-1] == "What is the capital of Kazakhstan?", "one the documents can't answer"


def test_example_questions_come_from_the_documents_otherwise(tmp_path, embedder):
    docs = tmp_path / "manuals"
    docs.mkdir()
    (docs / "man_tail.txt").write_text("TAIL(1)\n\nNAME\n       tail - output the last part of files\n\n"
                                       "DESCRIPTION\n       Print the last 10 lines of each FILE.\n")
    (docs / "faq.md").write_text("# Questions\n\n## How is the project licensed?\n\nUnder the MIT licence.\n")
    (docs / "notes.txt").write_text("Bought milk. Called Ana about the trip on Friday.\n")
    assistant = Assistant.open(docs, tmp_path / "idx", embedder=embedder, generator=ScriptedGenerator({}))
    assert assistant.example_questions() == ["How is the project licensed?",
                                             "Which command can output the last part of files?"]
    (docs / "faq.md").unlink()
    (docs / "man_tail.txt").unlink()
    assistant.reindex()
    assert assistant.example_questions() == [], "plain notes suggest no question"
