"""PDF, DOCX, HTML and legacy-encoded documents: what text is read from each, with its
pages and headings, and the message each hostile file gets (rag/formats.py, loading.py)."""
import json
import time

import pytest

from document_files import NOISY_HTML, write_docx, write_docx_bomb, write_mixed_folder, write_pdf
from rag.config import LoadingSettings, Settings
from rag.formats import Unreadable, docx_text, html_text, pdf_text
from rag.indexing import sync_index
from rag.parse_process import ParserProcess


def test_a_pdf_is_read_page_by_page_with_the_first_line_of_each_page(tmp_path):
    extracted = pdf_text(write_pdf(tmp_path / "report.pdf"))
    lines = extracted.text.split("\n")
    assert len(extracted.pages) == 3 and not extracted.empty_pages
    page_two = "\n".join(lines[extracted.pages[1] - 1:extracted.pages[2] - 1])
    assert "Dilnoza Karimova" in page_two and "Chapter two" in page_two
    assert "Dilnoza" not in "\n".join(lines[:extracted.pages[1] - 1])


def test_a_page_without_text_is_flagged_not_fatal(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in ("First page text.", "", "Third page text."):
        pdf.add_page()
        if text:
            pdf.multi_cell(0, 8, text)
    pdf.output(str(tmp_path / "gap.pdf"))
    extracted = pdf_text(tmp_path / "gap.pdf")
    assert extracted.empty_pages == (2,) and len(extracted.pages) == 3
    assert "Third page text." in extracted.text


def test_a_docx_keeps_paragraphs_headings_and_table_rows_in_order(tmp_path):
    extracted = docx_text(write_docx(tmp_path / "manual.docx"))
    text = extracted.text
    assert "Salinometer | North pier\nAnemometer | Roof mast" in text
    assert text.index("describes the Aral") < text.index("Salinometer |") < text.index("Calibrate")
    lines = text.split("\n")
    [(line, path)] = [s for s in extracted.sections if s[1].endswith("Instruments")]
    assert path == "Field manual > Instruments" and lines[line - 1] == "Instruments"


@pytest.mark.parametrize("page", [NOISY_HTML, NOISY_HTML.replace("<main>", "<div>").replace("</main>", "</div>")])
def test_html_gives_the_main_text_without_script_style_navigation_or_footer(page):
    extracted = html_text(page)  # with a <main> element, and without one (the whole body)
    assert "NOISE" not in extracted.text and "tracker" not in extracted.text
    assert "The research boat Orol leaves the north pier at seven." in extracted.text
    assert "Monday | Karimova" in extracted.text
    assert [path for _, path in extracted.sections] == ["Boat schedule", "Boat schedule > Winter"]


@pytest.mark.parametrize("make,message", [
    (lambda p: write_pdf(p / "x.pdf", password="secret"), "encrypted PDF"),
    (lambda p: write_pdf(p / "x.pdf", image_only=True), "no text: scanned pages need OCR, which is not included"),
    (lambda p: write_docx_bomb(p / "x.docx"), "zip bomb"),
])
def test_hostile_files_each_get_their_own_message(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(Unreadable, match=message):
        (pdf_text if path.suffix == ".pdf" else docx_text)(path)


def test_a_mixed_folder_names_every_file_and_indexes_the_readable_ones(tmp_path, embedder):
    docs = write_mixed_folder(tmp_path / "docs")
    store, report = sync_index(docs, tmp_path / "idx", embedder, Settings())
    assert sorted(report.added) == ["README", "guide.rst", "latin1.txt", "manual.docx", "notes.markdown",
                                    "report.pdf", "schedule.html"]
    reasons = {s.source: s.reason for s in report.skipped}
    assert "encrypted PDF" in reasons["locked.pdf"] and "qpdf --decrypt" in reasons["locked.pdf"]
    assert "truncated" in reasons["cut.pdf"]
    assert reasons["scan.pdf"].startswith("no text: scanned pages need OCR, which is not included")
    assert "zip bomb" in reasons["bomb.docx"]
    assert "unknown binary format" in reasons["blob.bin"]
    assert "not a supported format" in reasons["data.csv"]
    seen = {row["source"]: row for row in report.to_dict()["files"]}
    assert set(seen) == {p.name for p in docs.iterdir()}, "every file in the folder is accounted for"
    assert seen["report.pdf"] == {"source": "report.pdf", "status": "added", "kind": "pdf", "pages": 3,
                                  "empty_pages": [], "chars": seen["report.pdf"]["chars"]}
    assert any(line.startswith("added     report.pdf (pdf, 3 pages,") for line in report.lines())
    latin = next(c.text for c in store.chunks.values() if c.source == "latin1.txt")
    assert "café" in latin and "après" in latin
    # unchanged files are not parsed again: their text comes from the index's text cache
    again_started = time.perf_counter()
    _, again = sync_index(docs, tmp_path / "idx", embedder, Settings())
    assert len(again.unchanged) == 7 and not again.added and time.perf_counter() - again_started < 30


def test_extracted_text_is_stored_with_the_index_and_pruned_with_its_file(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    write_pdf(docs / "report.pdf")
    (docs / "a.txt").write_text("A text file.\n")
    sync_index(docs, tmp_path / "idx", embedder, Settings())
    [cached] = (tmp_path / "idx" / "texts").glob("*.json")
    assert "Dilnoza Karimova" in json.loads(cached.read_text())["text"]
    (docs / "report.pdf").unlink()
    sync_index(docs, tmp_path / "idx", embedder, Settings())
    assert not list((tmp_path / "idx" / "texts").glob("*.json"))


# ---- the child process: time and memory limits, crashes --------------------------------

def _hostile(tmp_path, timeout=2.0, memory_mb=600):
    return ParserProcess(timeout, memory_mb, "hostile_parsers:by_name")


@pytest.mark.parametrize("name,message", [
    ("hang", "took longer than 2 s"),
    ("crash", "the parser crashed on this file (exit code -11)"),
    ("explode", "needs more than 600 MB"),
    ("bug", "the parser failed on this file (ValueError: a parser bug"),
])
def test_a_misbehaving_parser_costs_one_file_and_the_next_file_is_parsed(tmp_path, name, message):
    bad = write_pdf(tmp_path / f"{name}.pdf")
    good = write_pdf(tmp_path / "good.pdf")
    with _hostile(tmp_path) as parser:
        started = time.perf_counter()
        outcome = parser.parse(str(bad), "pdf")
        assert isinstance(outcome, str) and message in outcome
        assert time.perf_counter() - started < 15
        assert "Dilnoza Karimova" in parser.parse(str(good), "pdf").text


def test_one_worker_parses_many_files(tmp_path):
    paths = [write_pdf(tmp_path / f"{n}.pdf") for n in range(3)]
    with ParserProcess(30, 1024) as parser:
        parser.parse(str(paths[0]), "pdf")
        worker = parser.pid
        for path in paths[1:]:
            parser.parse(str(path), "pdf")
        assert parser.pid == worker


def test_indexing_survives_a_hanging_and_a_crashing_parser(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("hang", "crash", "report"):
        write_pdf(docs / f"{name}.pdf")
    (docs / "a.txt").write_text("A text file.\n")
    settings = Settings(loading=LoadingSettings(parser="hostile_parsers:by_name", parse_seconds=2))
    store, report = sync_index(docs, tmp_path / "idx", embedder, settings)
    assert sorted(report.added) == ["a.txt", "report.pdf"]
    reasons = {s.source: s.reason for s in report.skipped}
    assert "took longer than 2 s" in reasons["hang.pdf"] and "crashed" in reasons["crash.pdf"]
