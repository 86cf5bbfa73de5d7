"""Answers from PDF, DOCX and HTML files cite the page (and heading) their quote is on,
verified against the text stored at indexing: a question never re-parses the file."""
import json
import sys
from pathlib import Path

import pytest

from document_files import NOISY_HTML, write_docx, write_mixed_folder, write_pdf
from fakes import HashingEmbedder, ScriptedGenerator
from rag import Assistant
from rag.cli import main as real_main

SCRIPT = {"lead hydrologist": "Dilnoza Karimova", "research boat": "Orol", "salinometer": "North pier"}
QUESTION = "Who is the lead hydrologist of the station?"


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    write_pdf(folder / "report.pdf")
    write_docx(folder / "manual.docx")
    (folder / "schedule.html").write_text(NOISY_HTML, encoding="utf-8")
    return folder


def _open(docs, tmp_path, **options):
    return Assistant.open(docs, tmp_path / "idx", embedder=HashingEmbedder(),
                          generator=ScriptedGenerator(SCRIPT), **options)


def test_a_pdf_answer_cites_its_page(docs, tmp_path):
    answer = _open(docs, tmp_path).ask(QUESTION)
    assert answer.short_answer == "Dilnoza Karimova"
    [first, *_] = answer.evidence
    assert (first.source, first.page) == ("report.pdf", 2)
    assert answer.citations[0].page == 2
    assert answer.to_dict()["citations"][0]["page"] == 2


def test_an_html_answer_cites_its_heading_and_no_page(docs, tmp_path):
    answer = _open(docs, tmp_path).ask("When does the research boat leave the north pier?")
    [first, *_] = answer.evidence
    assert first.source == "schedule.html" and first.page is None and first.section == "Boat schedule"


def test_the_cli_prints_the_page_of_a_pdf_citation(docs, tmp_path, capsys):
    def open_with_fakes(*args, **kwargs):
        return Assistant.open(*args, embedder=HashingEmbedder(), generator=ScriptedGenerator(SCRIPT), **kwargs)

    args = ["--docs", str(docs), "--index", str(tmp_path / "idx")]
    assert real_main(["ask", QUESTION, *args], open_assistant=open_with_fakes) == 0
    out = capsys.readouterr().out
    assert "[1] report.pdf, p. 2\n" in out and "Answer: Dilnoza Karimova" in out
    assert real_main(["search", "lead hydrologist salinity", *args, "--json"], open_assistant=open_with_fakes) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    pages = {h["source"]: h["page"] for h in hits}
    assert pages["report.pdf"] == 1 and pages["manual.docx"] is None  # one chunk, from page 1 on


def test_quotes_are_checked_against_the_stored_text_never_a_new_parse(docs, tmp_path):
    assistant = _open(docs, tmp_path)
    text = assistant.source_text("report.pdf")
    assert "Dilnoza Karimova" in text
    for cached in (tmp_path / "idx" / "texts").glob("*.json"):
        cached.unlink()
    assert assistant.source_text("report.pdf") is None  # no stored text: nothing is parsed
    answer = _open(docs, tmp_path, update=False).ask(QUESTION)
    assert not answer.evidence or answer.evidence[0].source != "report.pdf"


def test_a_changed_pdf_is_not_quoted_until_it_is_indexed_again(docs, tmp_path):
    assistant = _open(docs, tmp_path)
    write_pdf(docs / "report.pdf", pages=["Chapter one.", "The hydrologist left in 2024.", "End."])
    assert assistant.source_text("report.pdf") is None
    assistant.reindex()
    assert "left in 2024" in assistant.source_text("report.pdf")


def test_the_chat_upload_takes_every_format_refuses_hostile_files_and_stays_up(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import app_gradio
    from rag.chat_page import document_rows
    from rag.chat_view import literal
    from rag.config import LoadingSettings, Settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kill.txt").write_text("kill sends a signal to a process.\n")
    settings = Settings(loading=LoadingSettings(parser="hostile_parsers:by_name", parse_seconds=2))
    assistant = Assistant.open(docs, tmp_path / "idx", embedder=HashingEmbedder(),
                               generator=ScriptedGenerator(SCRIPT), settings=settings)
    uploads = tmp_path / "uploads"
    mixed = write_mixed_folder(uploads / "u1")
    write_pdf(mixed / "hang.pdf")
    write_pdf(mixed / "crash.pdf")
    app = app_gradio.build_app(assistant, str(uploads))
    add = next(f.fn for f in app.fns.values() if getattr(f.fn, "__name__", "") == "add")
    shares = []
    message = add([str(p) for p in sorted(mixed.iterdir())],
                  progress=lambda share, desc=None: shares.append(share))[1]
    for name, said in [("report.pdf", "added as report.pdf (pdf, 3 pages"), ("locked.pdf", "encrypted PDF"),
                       ("cut.pdf", "truncated"), ("scan.pdf", "OCR, which is not included"),
                       ("bomb.docx", "zip bomb"), ("blob.bin", "not added: only"),
                       ("hang.pdf", "took longer than 2 s"), ("crash.pdf", "crashed")]:
        line = next(line for line in message.splitlines() if line.startswith(f"- **{literal(name)}**"))
        assert literal(said) in line, (name, line)
    assert shares and shares[-1] == 1.0
    rows = {row[0]: row for row in document_rows(assistant)}
    assert rows["report.pdf"][4] == "3" and int(rows["report.pdf"][5].replace(",", "")) > 200
    assert {"manual.docx", "schedule.html", "latin1.txt", "README"} <= set(rows)
    assert assistant.ask(QUESTION).evidence[0].page == 2  # the app still answers
