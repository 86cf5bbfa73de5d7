"""A PDF page as a PNG with a quote highlighted, for the chat's "show page" button.

`render_page` runs in the parser's kind of child process (parse_process.py: a time limit
and a memory limit), because pdfium renders whatever the file asks it to: a hostile PDF
costs one image and a message, never the app. `PageImages` is the app's side: it asks
that child for an image, keeps each PNG in a folder of its own (the app's private temp
folder, which is all its `file=` route serves), named by the file's content, the page and
the quote, so the same citation is rendered once. It does not decide which file or quote
to show: the app passes a citation of an answer it gave.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .app_guard import inside
from .chat_view import literal
from .page_highlight import quote_rects
from .page_view import cited_page, page_caption
from .parse_process import ParserProcess

RENDERER = "rag.page_image:render_page"
SCALE = 1.5  # 108 dpi: an A4 page is 893x1263 px, readable without being heavy
HIGHLIGHT = (250, 204, 21, 110)  # semi-transparent yellow (RGBA): the text stays readable
RENDER_VERSION = 1  # in the cache key, so a change in drawing is not hidden by old files


@dataclass(frozen=True)
class PageImage:
    path: Path
    page: int
    highlighted: bool  # False: the quote was not found on the page's text layer


def render_page(pdf_path: str, page: int, quote: str, out_path: str, scale: float = SCALE) -> dict:
    """Render 1-based `page` of the PDF to `out_path` (PNG), the quote's lines highlighted
    (not on a rotated page: the boxes would need turning too, which is not done). Returns {"rects": the highlight rectangles, "width", "height"} (pixels)."""
    import pypdfium2
    from PIL import Image, ImageDraw

    from .formats import Unreadable

    try:
        pdf = pypdfium2.PdfDocument(pdf_path)
    except pypdfium2.PdfiumError as exc:
        raise Unreadable(f"can't open the PDF ({exc}); it may have changed since it was indexed") from None
    try:
        if not 1 <= page <= len(pdf):
            raise Unreadable(f"the PDF has no page {page} (it has {len(pdf)}); re-index the folder")
        pdf_page = pdf[page - 1]
        text_page = pdf_page.get_textpage()
        count = text_page.count_chars()
        chars = [chr(pypdfium2.raw.FPDFText_GetUnicode(text_page.raw, i)) for i in range(count)]
        # Boxes are in page space; the image shows the crop box, so shift them to its corner.
        left, bottom, _right, top = pdf_page.get_bbox()  # inherited boxes resolved, unlike get_cropbox
        boxes = [(a - left, b - bottom, c - left, d - bottom)
                 for a, b, c, d in (text_page.get_charbox(i) for i in range(count))]
        rects = [] if pdf_page.get_rotation() else quote_rects(chars, boxes, quote, top - bottom, scale)
        image = pdf_page.render(scale=scale).to_pil().convert("RGBA")
    finally:
        pdf.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for rect in rects:
        draw.rectangle(rect, fill=HIGHLIGHT)
    Image.alpha_composite(image, overlay).convert("RGB").save(out_path, "PNG")
    return {"rects": [list(r) for r in rects], "width": image.width, "height": image.height}


class PageImages:
    """Rendered pages, cached as PNG files in `folder`; a context manager that ends the
    renderer's child process on exit."""

    def __init__(self, folder: str | Path, timeout: float = 30.0, memory_mb: int = 1536):
        self.folder = Path(folder)
        self._renderer = ParserProcess(timeout, memory_mb, RENDERER)

    def image(self, pdf_path: str | Path, page: int, quote: str) -> PageImage | str:
        """The page's image with the quote highlighted, or why it can't be shown."""
        try:
            digest = hashlib.sha256(Path(pdf_path).read_bytes()).hexdigest()
        except OSError as exc:
            return f"the file can't be read ({exc.strerror or exc}); it may have been removed"
        key = hashlib.sha256(f"{RENDER_VERSION}\0{digest}\0{page}\0{quote}\0{SCALE}".encode()).hexdigest()[:32]
        # Whether the quote was found is in the name, so a file alone says all (-q: quote shown).
        for path in (self.folder / f"page-{key}-q.png", self.folder / f"page-{key}.png"):
            if path.is_file():
                return PageImage(path, page, path.stem.endswith("-q"))
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".page-{key}.png.tmp"
        result = self._renderer.call(str(pdf_path), page, quote, str(tmp))
        if isinstance(result, str):
            tmp.unlink(missing_ok=True)
            return result
        path = self.folder / f"page-{key}{'-q' if result['rects'] else ''}.png"
        tmp.replace(path)
        return PageImage(path, page, bool(result["rects"]))

    def cited(self, answers: list, request: str, docs: str | Path) -> tuple[str | None, str, str]:
        """For a "show page" request ("<turn>-<n>", page_view.py) among a tab's answers: the
        image's path (None if there is none), its label, and the markdown caption."""
        citation, why = cited_page(answers, request)
        if citation is None:
            return None, "", why
        path = Path(docs) / citation.source
        if not inside(path, docs):
            return None, "", "That file is not in the documents folder."
        shown = self.image(path, citation.page, citation.quote)
        if isinstance(shown, str):
            return None, "", f"**Can't show the page:** {literal(shown)}"
        return str(shown.path), f"{citation.source}, page {citation.page}", page_caption(citation, shown.highlighted)

    def close(self) -> None:
        self._renderer.close()

    def __enter__(self) -> "PageImages":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
