"""Test documents written on the spot, from text written here: PDFs (fpdf2), a .docx with a
table (python-docx), an HTML page full of noise, and the hostile files (encrypted, truncated,
image-only, zip bomb, unknown binary). Each takes milliseconds, so no fixture is checked in."""
from __future__ import annotations

import zipfile
from pathlib import Path

PAGES = [
    "Annual report of the Aral Sea station. Chapter one covers the budget of the station "
    "and the staff of twelve people.",
    "Chapter two. The lead hydrologist of the station is Dilnoza Karimova. She measured "
    "the salinity of the northern basin every week in 2023.",
    "Chapter three. The station plans a new pier in 2025, paid for by the regional fund.",
]


def write_pdf(path: Path, pages: list[str] = PAGES, password: str | None = None,
              image_only: bool = False) -> Path:
    """A PDF with one page per text (or a drawn image and no text layer)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        if image_only:
            from PIL import Image, ImageDraw

            image = Image.new("L", (400, 200), 255)
            ImageDraw.Draw(image).rectangle((20, 20, 380, 180), outline=0, width=4)
            pdf.image(image, x=10, y=10, w=180)
        else:
            pdf.multi_cell(0, 8, text)
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    pdf.output(str(path))
    return path


def write_docx(path: Path) -> Path:
    """Headings, paragraphs and a table between them."""
    import docx

    document = docx.Document()
    document.add_heading("Field manual", level=1)
    document.add_paragraph("This manual describes the Aral Sea station.")
    document.add_heading("Instruments", level=2)
    table = document.add_table(rows=3, cols=2)
    for row, (name, place) in zip(table.rows, [("Instrument", "Location"), ("Salinometer", "North pier"),
                                                ("Anemometer", "Roof mast")]):
        row.cells[0].text, row.cells[1].text = name, place
    document.add_paragraph("Calibrate the salinometer every Monday before sunrise.")
    document.save(str(path))
    return path


NOISY_HTML = """<!doctype html><html><head><title>Station</title>
<style>body { color: red } /* STYLE-NOISE */</style>
<script>var tracker = "SCRIPT-NOISE"; document.write("more");</script></head>
<body><nav><a href="/">NAV-NOISE Home</a> | <a href="/about">About</a></nav>
<header>HEADER-NOISE Site banner</header>
<main><h1>Boat schedule</h1><p>The research boat <b>Orol</b> leaves the north pier at seven.</p>
<h2>Winter</h2><p>In winter the boat stays in the harbour of Aralsk.</p>
<table><tr><th>Day</th><th>Crew</th></tr><tr><td>Monday</td><td>Karimova</td></tr></table></main>
<aside>ASIDE-NOISE Related links</aside><footer>FOOTER-NOISE (c) 2024</footer>
<script>console.log("SCRIPT-NOISE-2")</script></body></html>"""


def write_docx_bomb(path: Path, inflated_mb: int = 40) -> Path:
    """A zip posing as .docx whose document.xml inflates from ~40 KB to `inflated_mb` MB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (inflated_mb * 1_000_000))
    return path


def truncate(source: Path, target: Path, keep: float = 0.6) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def write_mixed_folder(folder: Path) -> Path:
    """The folder of a new user: every format, and every kind of hostile file."""
    folder.mkdir(parents=True, exist_ok=True)
    write_pdf(folder / "report.pdf")
    write_docx(folder / "manual.docx")
    (folder / "schedule.html").write_text(NOISY_HTML, encoding="utf-8")
    (folder / "latin1.txt").write_bytes("Le café de la station ferme à dix-huit heures, "
                                        "après la dernière mesure.".encode("latin-1"))
    (folder / "README").write_text("Readme: this folder holds the station's documents.\n")
    (folder / "notes.markdown").write_text("# Notes\n\nThe pier needs paint.\n")
    (folder / "guide.rst").write_text("Guide\n=====\n\nWear boots on the pier.\n")
    write_pdf(folder / "locked.pdf", password="secret")
    truncate(write_pdf(folder / ".whole.pdf"), folder / "cut.pdf")
    (folder / ".whole.pdf").unlink()
    write_pdf(folder / "scan.pdf", image_only=True)
    write_docx_bomb(folder / "bomb.docx")
    (folder / "blob.bin").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    (folder / "data.csv").write_text("day,crew\nMonday,Karimova\n")
    return folder
