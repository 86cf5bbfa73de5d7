from pathlib import Path

import pytest

from rag.config import LoadingSettings
from rag.errors import DocumentsError
from rag.loading import SkippedFile, find_files, parse_date_header, read_document

SETTINGS = LoadingSettings()


def _read_all(folder: Path, settings=SETTINGS):
    return {f.source: read_document(f, settings) for f in find_files(folder, settings)}


def test_seed_date_header_is_metadata_not_text(seeds_copy):
    docs = _read_all(seeds_copy)
    doc = docs["000_dc7361d3392e1266.txt"]
    assert doc.date == "2024-02-29"
    assert doc.text[doc.body_start:].startswith("On 29 February 2024, a significant meeting")
    assert "date 2024" not in doc.text[doc.body_start:]
    assert doc.text == (seeds_copy / "000_dc7361d3392e1266.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("text,date,body", [
    ("date 2023-01-05\nBody here.", "2023-01-05", "Body here."),
    ("\ufeff date 2023-01-05 Body.", "2023-01-05", "Body."),
    ("date: unknown\nBody.", None, "date: unknown\nBody."),
    ("The date 2023-01-05 is mentioned.", None, "The date 2023-01-05 is mentioned."),
])
def test_parse_date_header(text, date, body):
    found, start = parse_date_header(text)
    assert found == date
    assert text[start:] == body


def test_finds_txt_and_md_recursively_and_skips_hidden(tmp_path):
    (tmp_path / "a.txt").write_text("Alpha.")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "deeper" / "b.MD").write_text("Beta.")
    (tmp_path / "c.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "d.txt").write_text("Delta.")
    assert [f.source for f in find_files(tmp_path, SETTINGS)] == ["a.txt", "sub/deeper/b.MD"]


def test_bad_files_are_skipped_with_a_reason_naming_the_fix(tmp_path):
    (tmp_path / "good.txt").write_text("Fine text.")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me".encode("latin-1"))
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "empty.md").write_text("  \n")
    (tmp_path / "header-only.txt").write_text("date 2024-01-01\n")
    (tmp_path / "huge.txt").write_text("word " * 400)
    docs = _read_all(tmp_path, LoadingSettings(max_file_bytes=1000))
    assert not isinstance(docs["good.txt"], SkippedFile)
    reasons = {k: v.reason for k, v in docs.items() if isinstance(v, SkippedFile)}
    assert set(reasons) == {"latin1.txt", "binary.txt", "empty.md", "header-only.txt", "huge.txt"}
    assert "UTF-8" in reasons["latin1.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "empty" in reasons["empty.md"]
    assert "limit" in reasons["huge.txt"]


def test_utf16_with_bom_is_read(tmp_path):
    (tmp_path / "u16.txt").write_bytes("Grüße aus Köln.".encode("utf-16"))
    doc = _read_all(tmp_path)["u16.txt"]
    assert doc.text == "Grüße aus Köln."


def test_missing_folder_and_file_instead_of_folder_are_clear_errors(tmp_path):
    with pytest.raises(DocumentsError, match="does not exist"):
        find_files(tmp_path / "nope", SETTINGS)
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(DocumentsError, match="is a file"):
        find_files(tmp_path / "f.txt", SETTINGS)
