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
    (tmp_path / "c.csv").write_text("a,b\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "d.txt").write_text("Delta.")
    found = find_files(tmp_path, SETTINGS)
    assert [f.source for f in found] == ["a.txt", "c.csv", "sub/deeper/b.MD"]
    assert [f.source for f in found if f.skip] == ["c.csv"], "every file seen is listed, unsupported ones skipped"
    assert "not a supported format" in found[1].skip and "rename it to .txt" in found[1].skip


def test_bad_files_are_skipped_with_a_reason_naming_the_fix(tmp_path):
    (tmp_path / "good.txt").write_text("Fine text.")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me br\xfbl\xe9e".encode("latin-1"))
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "empty.md").write_text("  \n")
    (tmp_path / "header-only.txt").write_text("date 2024-01-01\n")
    (tmp_path / "huge.txt").write_text("word " * 400)
    docs = _read_all(tmp_path, LoadingSettings(max_file_bytes=1000))
    assert not isinstance(docs["good.txt"], SkippedFile)
    reasons = {k: v.reason for k, v in docs.items() if isinstance(v, SkippedFile)}
    assert set(reasons) == {"binary.txt", "empty.md", "header-only.txt", "huge.txt"}
    assert docs["latin1.txt"].text == "Café crème brûlée", "a legacy encoding is detected, not refused"
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


# ---- names and links (hardening items 1 and 2) ---------------------------------------------

def test_a_name_that_is_not_utf8_is_skipped_under_a_printable_name(tmp_path):
    import os

    (tmp_path / "good.txt").write_text("Fine text.")
    with open(os.fsencode(tmp_path) + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"Coffee.")
    docs = _read_all(tmp_path)
    assert sorted(docs) == ["caf\\xe9.txt", "good.txt"]
    skipped = docs["caf\\xe9.txt"]
    assert isinstance(skipped, SkippedFile)
    assert "name is not valid UTF-8" in skipped.reason and "rename" in skipped.reason
    skipped.source.encode("utf-8")  # printable, and storable in JSON


def test_links_out_of_the_folder_are_skipped_and_links_inside_are_followed(tmp_path):
    docs_dir, outside = tmp_path / "docs", tmp_path / "outside"
    docs_dir.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret.")
    (docs_dir / "real.txt").write_text("Real.")
    (docs_dir / "out.txt").symlink_to(outside / "secret.txt")
    (docs_dir / "chain.txt").symlink_to(docs_dir / "out.txt")  # inside link -> outside link
    (docs_dir / "in.txt").symlink_to("real.txt")
    (docs_dir / "gone.txt").symlink_to(docs_dir / "missing.txt")
    (docs_dir / "loop.txt").symlink_to(docs_dir / "loop.txt")
    (docs_dir / "out-folder").symlink_to(outside, target_is_directory=True)
    docs = _read_all(docs_dir)
    assert docs["in.txt"].text == "Real."
    reasons = {k: v.reason for k, v in docs.items() if isinstance(v, SkippedFile)}
    assert set(reasons) == {"out.txt", "chain.txt", "gone.txt", "loop.txt", "out-folder"}
    for name in ("out.txt", "chain.txt", "out-folder"):
        assert "outside the documents folder" in reasons[name] and str(outside) in reasons[name]
    assert "does not exist" in reasons["gone.txt"]
    assert "loop" in reasons["loop.txt"]


def test_quotes_are_never_checked_against_a_file_out_of_the_folder(tmp_path):
    from rag.loading import read_source_text

    (tmp_path / "secret.txt").write_text("Secret.")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").symlink_to(tmp_path / "secret.txt")
    assert read_source_text(tmp_path / "docs", "a.txt") is None
    assert read_source_text(tmp_path / "docs", "../secret.txt") is None
