"""A cited PDF page rendered with its quote highlighted (rag/page_highlight.py, rag/page_image.py),
on PDFs written here with fpdf2."""
import pytest

from document_files import write_pdf
from rag.page_highlight import quote_chars, quote_rects
from rag.page_image import PageImages

QUOTE = "The lead hydrologist of the station is Dilnoza Karimova. She measured the salinity"


def _page_chars(pdf_path, page):
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(pdf_path))
    text_page = pdf[page - 1].get_textpage()
    count = text_page.count_chars()
    chars = [chr(pypdfium2.raw.FPDFText_GetUnicode(text_page.raw, i)) for i in range(count)]
    boxes = [text_page.get_charbox(i) for i in range(count)]
    height = pdf[page - 1].get_height()
    pdf.close()
    return chars, boxes, height


def test_a_quote_across_a_line_break_gets_one_rectangle_per_line(tmp_path):
    chars, boxes, height = _page_chars(write_pdf(tmp_path / "r.pdf"), 2)
    # the stored text has "salinity of\nthe northern": pdfium lists "\r\n" there
    quote = "salinity of\nthe northern basin"
    found = quote_chars(chars, quote)
    assert "".join(chars[i] for i in found) == "salinityofthenorthernbasin"
    rects = quote_rects(chars, boxes, quote, height, scale=1)
    assert len(rects) == 2
    (x0, y0, x1, y1), (u0, v0, u1, v1) = rects
    assert v0 > y1 - 2 and u0 < x0  # the second line is below, and starts at the margin
    assert quote_rects(chars, boxes, "Dilnoza Karimova", height, 1)[0][2] < x1


def test_a_quote_that_is_not_on_the_page_gets_no_rectangle(tmp_path):
    chars, boxes, height = _page_chars(write_pdf(tmp_path / "r.pdf"), 1)
    assert quote_rects(chars, boxes, QUOTE, height, 1) == []


def _highlighted(pixel):
    r, g, b = pixel
    return r > 200 and g > 180 and b < 200 and r - b > 60


def _cropped(pdf_path, box):
    """The PDF with page 2's crop box set to `box` (left, bottom, right, top, in points)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(pdf_path))
    pdf[1].set_cropbox(*box)
    out = pdf_path.with_name("cropped.pdf")
    pdf.save(str(out))
    pdf.close()
    return out


@pytest.mark.parametrize("crop", [None, (40, 300, 580, 830)])
def test_the_image_is_highlighted_on_the_quote_and_nowhere_else(tmp_path, crop):
    from PIL import Image

    pdf = write_pdf(tmp_path / "r.pdf")
    if crop:  # the image shows the crop box only: the highlight must move with it
        pdf = _cropped(pdf, crop)
    with PageImages(tmp_path / "pages") as images:
        shown = images.image(pdf, 2, QUOTE)
        assert shown.highlighted and shown.path.parent == tmp_path / "pages"
        rects = images._renderer.call(str(pdf), 2, QUOTE, str(tmp_path / "again.png"))["rects"]
    image = Image.open(shown.path).convert("RGB")
    [(x0, y0, x1, y1)] = rects
    inside = [image.getpixel((x, y)) for x in range(x0 + 2, x1 - 2, 3) for y in range(y0 + 2, y1 - 2, 2)]
    assert sum(map(_highlighted, inside)) > 0.6 * len(inside)
    outside = [image.getpixel((x, y)) for x in range(0, image.width, 4) for y in range(0, image.height, 4)
               if not (x0 - 2 <= x <= x1 + 2 and y0 - 2 <= y <= y1 + 2)]
    assert sum(map(_highlighted, outside)) == 0
    assert y1 < image.height / 4  # the quote is near the top of the page, as in the PDF
    if crop:
        assert (image.width, image.height) == (round(540 * 1.5), round(530 * 1.5))


def test_a_page_is_rendered_once_then_served_from_its_file(tmp_path):
    pdf = write_pdf(tmp_path / "r.pdf")
    with PageImages(tmp_path / "pages") as images:
        first = images.image(pdf, 2, QUOTE)
        stamp = first.path.stat().st_mtime_ns
        images._renderer.close()
        images._renderer.timeout = 0  # a render now would time out: the cached file must serve
        again = images.image(pdf, 2, QUOTE)
    assert again.path == first.path and again.path.stat().st_mtime_ns == stamp and again.highlighted


@pytest.mark.parametrize("page, expected", [(7, "the PDF has no page 7 (it has 3)"), (1, None)])
def test_a_missing_page_or_quote_is_said_plainly(tmp_path, page, expected):
    pdf = write_pdf(tmp_path / "r.pdf")
    with PageImages(tmp_path / "pages") as images:
        shown = images.image(pdf, page, QUOTE)
    if expected:
        assert expected in shown
    else:
        assert shown.path.is_file() and not shown.highlighted


def test_a_hostile_pdf_costs_an_image_not_the_app(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 100 + b"\n%%EOF\n")
    with PageImages(tmp_path / "pages") as images:
        assert "can't open the PDF" in images.image(bad, 1, QUOTE)
        assert images.image(write_pdf(tmp_path / "r.pdf"), 2, QUOTE).highlighted  # the next one works
